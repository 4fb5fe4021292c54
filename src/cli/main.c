/* main.c - the entry point: everything is in cli_main (args.c). */
#include "cli/cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }
