/* The hardening tests' probe: makes one system call inside a container and prints what the kernel answered,
 * "ok" (or the call's result) or the errno's name. busybox has no applet for most of these calls, hence a
 * static C program, built by tests/support/probe.py and bind-mounted into a busybox container.
 *
 *   probe <call> [argument]        calls: see the table in main()
 *   probe syscall N                the system call numbered N, with no arguments
 *   probe getpid-loop N | stat-loop N   the seccomp benchmark's loops (bench/bench_seccomp.py): prints CPU ns
 *                                       per call
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KEY_SPEC_USER_KEYRING -4
#define KEY_SPEC_PROCESS_KEYRING -2
#define KEYCTL_SEARCH 10
#define KEYCTL_READ 11

static int report(long result) {
    if (result == -1) {
        const char *name = strerrorname_np(errno);
        printf("%s\n", name ? name : "E?");
    } else {
        printf("ok %ld\n", result);
    }
    return 0;
}

/* CPU time, not wall time: on a shared machine the time spent waiting for a CPU is not the call's cost, and
 * seccomp's filter runs on the call's own CPU time. */
static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int main(int argc, char **argv) {
    const char *call = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : "";
    if (!strcmp(call, "add_key"))
        return report(syscall(SYS_add_key, "user", "porthole-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING));
    if (!strcmp(call, "keyctl-read-user-key")) {  /* the payload of the key named `arg` in root's user keyring */
        long id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", arg, 0);
        if (id == -1)
            return report(-1);
        char payload[256] = {0};
        long n = syscall(SYS_keyctl, KEYCTL_READ, id, payload, sizeof payload - 1);
        if (n == -1)
            return report(-1);
        printf("payload %s\n", payload);
        return 0;
    }
    if (!strcmp(call, "perf_event_open")) {
        struct perf_event_attr attr = {.type = PERF_TYPE_SOFTWARE, .size = sizeof attr, .config = PERF_COUNT_SW_CPU_CLOCK};
        return report(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    }
    if (!strcmp(call, "personality"))
        return report(syscall(SYS_personality, strtoul(arg, NULL, 0)));
    if (!strcmp(call, "io_uring_setup")) {
        char params[120] = {0};
        return report(syscall(SYS_io_uring_setup, 1, params));
    }
    if (!strcmp(call, "clone3"))
        return report(syscall(SYS_clone3, NULL, 0));
    if (!strcmp(call, "unshare-user"))
        return report(unshare(CLONE_NEWUSER));
    if (!strcmp(call, "finit_module")) {
        int fd = open("/dev/null", O_RDONLY);
        return report(syscall(SYS_finit_module, fd, "", 0));
    }
    if (!strcmp(call, "socket-vsock"))
        return report(socket(40, SOCK_STREAM, 0));
    if (!strcmp(call, "syscall"))
        return report(syscall(strtol(arg, NULL, 10)));
    if (!strcmp(call, "geteuid"))
        return report(geteuid());
    if (!strcmp(call, "getpid-loop") || !strcmp(call, "stat-loop")) {
        long n = strtol(arg, NULL, 10);
        struct stat st;
        long start = now_ns();
        for (long i = 0; i < n; i++) {
            if (call[0] == 'g')
                syscall(SYS_getpid);
            else
                stat("/", &st);
        }
        printf("%.1f\n", (double)(now_ns() - start) / n);
        return 0;
    }
    fprintf(stderr, "probe: unknown call %s\n", call);
    return 2;
}
