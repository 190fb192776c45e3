/* The `symopt` command: picks the subcommand and hands it its arguments. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tools/cmds.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *help;
} commands[] = {
    {"check", cmd_check, "check FILE...          report errors in rules"},
    {"fmt", cmd_fmt, "fmt FILE               print a rule in canonical form"},
    {"compile", cmd_compile,
     "compile FILE -o X.o    write an object file and a C header"},
    {"train", cmd_train, "train FILE [options]   train an MLP with a rule"},
    {"evolve", cmd_evolve, "evolve [options]       search for new rules"},
};

static void usage(FILE *out)
{
    fputs("usage: symopt COMMAND [ARGS]\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %s\n", commands[i].help);
    fputs("\n'symopt COMMAND --help' describes a command's options.\n", out);
}

/* A command's status, made 1 if its output could not all be written (a
 * full disk, a closed pipe): success must mean the output is there. */
static int finish(int rc)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "symopt: cannot write the output: %s\n",
            errno ? strerror(errno) : "write error");
    return rc ? rc : 1;
}

int main(int argc, char **argv)
{
    /* Past a file size limit a write then fails with EFBIG, which every
     * command reports naming the file, instead of the signal killing the
     * process (and a search losing its last results) unannounced. */
    signal(SIGXFSZ, SIG_IGN);

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return finish(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "symopt: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
