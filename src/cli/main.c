/* main.c - the entry point: everything is in cli_main (args.c). */
int cli_main(int argc, char **argv);

int main(int argc, char **argv) { return cli_main(argc, argv); }
