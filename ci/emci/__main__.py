from emci.cli import main

main()
