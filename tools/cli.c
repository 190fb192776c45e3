/* Option values, rule loading and -D overrides for the driver. */
#include "tools/cli.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grammar/parse.h"

int cli_long(const char *opt, const char *val, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    /* strtol skips leading blanks; a value with them is junk here. */
    if (end == val || *end || errno || isspace((unsigned char)*val)) {
        fprintf(stderr, "symopt: option %s: '%s' is not an integer\n", opt,
                val);
        return -1;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "symopt: option %s: %ld is out of range [%ld, %ld]\n",
                opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_u64(const char *opt, const char *val, uint64_t *out)
{
    char *end;
    errno = 0;
    /* strtoull skips blanks and negates a '-': " -1" would pass. */
    if (!isdigit((unsigned char)*val)) {
        fprintf(stderr,
                "symopt: option %s: '%s' is not a non-negative "
                "integer\n",
                opt, val);
        return -1;
    }
    unsigned long long v = strtoull(val, &end, 10);
    if (*end || errno) {
        fprintf(stderr,
                "symopt: option %s: '%s' is not a non-negative "
                "integer\n",
                opt, val);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_double(const char *opt, const char *val, double lo, double hi,
               double *out)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    /* Decimal only, as in .opt files: strtod would also take 0x10. */
    if (end == val || *end || errno || !isfinite(v) ||
        isspace((unsigned char)*val) || strpbrk(val, "xX")) {
        fprintf(stderr, "symopt: option %s: '%s' is not a finite number\n", opt,
                val);
        return -1;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "symopt: option %s: %g is out of range [%g, %g]\n", opt,
                v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

const char *cli_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "symopt: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

Rule *cli_load_rule(Arena *a, const char *path)
{
    int nerrors;
    Rule *r = parse_checked_file(a, path, stderr, &nerrors);
    if (!r && !nerrors)
        fprintf(stderr, "symopt: cannot read '%s': %s\n", path,
                strerror(errno));
    else if (!r)
        fprintf(stderr, "%s: %d error%s\n", path, nerrors,
                nerrors == 1 ? "" : "s");
    return r;
}

int cli_define(CliDefines *d, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "symopt: option -D: '%s' is not name=value\n", arg);
        return -1;
    }
    if (d->n == CLI_MAX_DEFINES) {
        fprintf(stderr, "symopt: option -D: more than %d overrides\n",
                CLI_MAX_DEFINES);
        return -1;
    }
    size_t len = (size_t)(eq - arg);
    if (len > CLI_MAX_DEFINE_NAME) {
        fprintf(stderr,
                "symopt: option -D: name '%.*s...' is longer than %d "
                "bytes\n",
                16, arg, CLI_MAX_DEFINE_NAME);
        return -1;
    }
    double v;
    if (cli_double("-D", eq + 1, -FLT_MAX, FLT_MAX, &v) < 0)
        return -1;
    memcpy(d->name[d->n], arg, len);
    d->name[d->n][len] = '\0';
    d->value[d->n++] = v;
    return 0;
}

int cli_apply_defines(const CliDefines *d, Rule *r, const char *path)
{
    for (int i = 0; i < d->n; i++) {
        int k = 0;
        while (k < r->nparams && strcmp(r->params[k].name, d->name[i]))
            k++;
        if (k == r->nparams) {
            fprintf(stderr,
                    "symopt: option -D: rule '%s' in %s has no "
                    "hyperparameter '%s'",
                    r->name, path, d->name[i]);
            for (int j = 0; j < r->nparams; j++)
                fprintf(stderr, "%s%s",
                        j ? ", " : " (it has: ", r->params[j].name);
            fputs(r->nparams ? ")\n" : " (it has none)\n", stderr);
            return -1;
        }
        r->params[k].value = d->value[i];
    }
    return 0;
}

bool cli_tty(void)
{
    return isatty(2);
}
