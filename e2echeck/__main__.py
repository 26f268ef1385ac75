from e2echeck.cli import main

main()
