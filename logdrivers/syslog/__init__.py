"""The syslog driver: Docker's syslog messages over udp, tcp, tcp+tls, unix or unixgram sockets."""
