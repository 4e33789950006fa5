"""The Distribution (registry v2) client: transport and authentication, manifests, pull and push."""
