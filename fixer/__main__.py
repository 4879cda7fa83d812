from .integrations.cli import main

main()
