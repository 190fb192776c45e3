/* `symopt check` and `symopt fmt`: report the errors in rule files, and
 * print a rule in canonical form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/print.h"
#include "tools/cli.h"
#include "tools/cmds.h"

static const char check_usage[] =
    "usage: symopt check FILE...\n"
    "\n"
    "Parses and checks each rule file. Errors go to stderr as\n"
    "FILE:LINE:COL: error: MESSAGE; nothing is printed for a good file.\n"
    "Exit status: 0 if every file is good, 1 if any has errors, 2 for a\n"
    "bad command line.\n";

static const char fmt_usage[] =
    "usage: symopt fmt FILE\n"
    "\n"
    "Prints the rule in FILE in canonical form to stdout: the comment\n"
    "lines just before `rule` are kept, other comments are dropped.\n"
    "Exit status: 0 on success, 1 if the file has errors, 2 for a bad\n"
    "command line.\n";

static bool is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* Rejects options other than --help; returns 0, or an exit status. */
static int scan_args(int argc, char **argv, const char *usage, int *nfiles)
{
    *nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage, stdout);
            return -1;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "symopt %s: unknown option '%s'\n%s", argv[0],
                    argv[i], usage);
            return 2;
        }
        (*nfiles)++;
    }
    return 0;
}

int cmd_check(int argc, char **argv)
{
    int nfiles, rc = scan_args(argc, argv, check_usage, &nfiles);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (nfiles == 0) {
        fprintf(stderr, "symopt check: no FILE given\n%s", check_usage);
        return 2;
    }

    int status = 0;
    for (int i = 1; i < argc; i++) {
        Arena a;
        arena_init(&a);
        if (!cli_load_rule(&a, argv[i]))
            status = 1;
        arena_free(&a);
    }
    return status;
}

int cmd_fmt(int argc, char **argv)
{
    int nfiles, rc = scan_args(argc, argv, fmt_usage, &nfiles);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (nfiles != 1) {
        fprintf(stderr, "symopt fmt: expected one FILE, got %d\n%s", nfiles,
                fmt_usage);
        return 2;
    }

    Arena a;
    arena_init(&a);
    Rule *r = cli_load_rule(&a, argv[1]);
    if (r) {
        char *text = print_rule(r);
        fputs(text, stdout);
        free(text);
    }
    arena_free(&a);
    return r ? 0 : 1;
}
