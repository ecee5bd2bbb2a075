"""One module per page's benchmarks; each has run(checkpoints, quick) -> flat JSON-ready dict."""
