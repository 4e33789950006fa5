"""What tests and benchmarks share: a test daemon of its own, test collectors and servers, waiting with a
deadline. Nothing here is a test; `bench/` imports it too."""
