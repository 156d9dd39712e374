from improvise.cli import main

main()
