/* Helpers shared by the subcommands of the `symopt` driver: option values
 * with clear errors, loading a rule file, -D overrides. Every error is
 * printed to stderr naming the option or file at fault. */
#ifndef SYMOPT_CLI_H
#define SYMOPT_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/ast.h"

/* Parse `val` as the value of option `opt`; 0 on success, else prints
 * "symopt: option OPT: ..." and returns -1. */
int cli_long(const char *opt, const char *val, long lo, long hi, long *out);
int cli_double(const char *opt, const char *val, double lo, double hi,
               double *out);
int cli_u64(const char *opt, const char *val, uint64_t *out);

/* The value of an option that needs one: argv[*i + 1], advancing *i, or
 * NULL after printing "option OPT needs a value". */
const char *cli_value(int argc, char **argv, int *i);

/* Reads, parses and checks a rule file; diagnostics go to stderr.
 * Returns NULL on any error. The rule and its source text live in `a`. */
Rule *cli_load_rule(Arena *a, const char *path);

/* -D overrides, collected while parsing options, applied to a rule. The
 * names are held in place, so a CliDefines owns no memory. */
enum { CLI_MAX_DEFINES = 64, CLI_MAX_DEFINE_NAME = 64 };
typedef struct CliDefines {
    int n;
    char name[CLI_MAX_DEFINES][CLI_MAX_DEFINE_NAME + 1];
    double value[CLI_MAX_DEFINES];
} CliDefines;

/* Parses "name=value" (the argument of -D); a name longer than
 * CLI_MAX_DEFINE_NAME bytes is an error. */
int cli_define(CliDefines *d, const char *arg);
/* Sets the defaults of the named hyperparameters; an unknown name is an
 * error naming the rule's file and its parameters. */
int cli_apply_defines(const CliDefines *d, Rule *r, const char *path);

/* True when stderr is a terminal (progress lines are then drawn). */
bool cli_tty(void);

#endif
