"""One module per page-specific `seqviz` subcommand; each has register(subparsers)."""
