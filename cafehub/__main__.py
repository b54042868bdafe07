from cafehub.cli import main

main()
