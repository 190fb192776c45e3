/* `symopt compile`: a rule file to an object file and a C header, or a
 * dump of its IR or assembly. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/codegen.h"
#include "compiler/emit.h"
#include "tools/cli.h"
#include "tools/cmds.h"

static const char compile_usage[] =
    "usage: symopt compile FILE [-o X.o] [--header X.h] [-D name=value]...\n"
    "                      [--dump ir|ir-raw|asm]\n"
    "\n"
    "Compiles the rule in FILE for this machine's CPU into an object file\n"
    "(position independent; it needs only libm) and a C header declaring\n"
    "<rule>_step, <rule>_hparams, <rule>_defaults and <rule>_NSTATES.\n"
    "\n"
    "  -o X.o            the object file (default: FILE's base name + .o)\n"
    "  --header X.h      the header (default: X.o with .h for .o)\n"
    "  -D name=value     override a hyperparameter's default\n"
    "  --dump WHAT       print the optimized IR (ir), the IR before any\n"
    "                    pass (ir-raw) or the assembly (asm) to stdout;\n"
    "                    no file is written unless -o is given too\n"
    "\n"
    "Exit status: 0 on success, 1 for a bad rule or an unwritable output,\n"
    "2 for a bad command line.\n";

typedef struct CompileArgs {
    const char *file, *obj, *hdr;
    bool dump;
    CgDump what;
    CliDefines defs;
} CompileArgs;

static int parse_dump(const char *v, CgDump *what)
{
    if (!strcmp(v, "ir"))
        *what = CG_DUMP_IR_OPT;
    else if (!strcmp(v, "ir-raw"))
        *what = CG_DUMP_IR;
    else if (!strcmp(v, "asm"))
        *what = CG_DUMP_ASM;
    else {
        fprintf(stderr,
                "symopt compile: option --dump: '%s' is not one of "
                "ir, ir-raw, asm\n",
                v);
        return -1;
    }
    return 0;
}

/* 0 when the arguments are good, -1 after --help, else an exit status. */
static int parse_args(int argc, char **argv, CompileArgs *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(compile_usage, stdout);
            return -1;
        } else if (!strcmp(arg, "-o") || !strcmp(arg, "--header")) {
            if (!(v = cli_value(argc, argv, &i)))
                return 2;
            *(arg[1] == 'o' ? &a->obj : &a->hdr) = v;
        } else if (!strcmp(arg, "--dump")) {
            if (!(v = cli_value(argc, argv, &i)) || parse_dump(v, &a->what))
                return 2;
            a->dump = true;
        } else if (!strncmp(arg, "-D", 2)) {
            v = arg[2] ? arg + 2 : cli_value(argc, argv, &i);
            if (!v || cli_define(&a->defs, v) < 0)
                return 2;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "symopt compile: unknown option '%s'\n%s", arg,
                    compile_usage);
            return 2;
        } else if (a->file) {
            fprintf(stderr, "symopt compile: one FILE only ('%s' and '%s')\n",
                    a->file, arg);
            return 2;
        } else {
            a->file = arg;
        }
    }
    if (!a->file) {
        fprintf(stderr, "symopt compile: no FILE given\n%s", compile_usage);
        return 2;
    }
    return 0;
}

/* `base` with its directory and a trailing `suffix` removed, then `ext`
 * appended; malloc'ed. */
static char *swap_ext(const char *path, bool strip_dir, const char *suffix,
                      const char *ext)
{
    const char *base = path;
    if (strip_dir && strrchr(path, '/'))
        base = strrchr(path, '/') + 1;
    size_t n = strlen(base), s = strlen(suffix);
    if (n > s && !strcmp(base + n - s, suffix))
        n -= s;
    char *out = malloc(n + strlen(ext) + 1);
    if (out) {
        memcpy(out, base, n);
        strcpy(out + n, ext);
    }
    return out;
}

static int dump(const Rule *r, CgDump what)
{
    char err[512] = "";
    char *text = cg_dump(r, what, err, sizeof err);
    if (!text) {
        fprintf(stderr, "symopt compile: %s\n", err);
        return 1;
    }
    fputs(text, stdout);
    free(text);
    return 0;
}

/* The path with its directory resolved (links, "." and ".."), so that
 * two spellings of a file not yet written compare equal; on failure the
 * path as given. */
static void canonical(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX], real[PATH_MAX];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (realpath(dir, real))
        snprintf(out, n, "%s/%s", real, slash ? slash + 1 : path);
    else
        snprintf(out, n, "%s", path);
}

/* True when the two paths name one file, existing or not. */
static bool same_file(const char *x, const char *y)
{
    struct stat sx, sy;
    if (!stat(x, &sx) && !stat(y, &sy))
        return sx.st_dev == sy.st_dev && sx.st_ino == sy.st_ino;
    char cx[2 * PATH_MAX], cy[2 * PATH_MAX];
    canonical(x, cx, sizeof cx);
    canonical(y, cy, sizeof cy);
    return !strcmp(cx, cy);
}

/* Refuses outputs that would overwrite the input or each other. */
static int check_outputs(const char *in, const char *obj, const char *hdr)
{
    const char *clash = same_file(obj, in)   ? "the object file"
                        : same_file(hdr, in) ? "the header"
                                             : NULL;
    if (clash) {
        fprintf(stderr, "symopt compile: %s would overwrite the input '%s'\n",
                clash, in);
        return -1;
    }
    if (same_file(obj, hdr)) {
        fprintf(stderr,
                "symopt compile: the object file and the header are "
                "both '%s'\n",
                obj);
        return -1;
    }
    return 0;
}

static int write_object(const Rule *r, const CompileArgs *a)
{
    char *obj = a->obj ? strdup(a->obj) : swap_ext(a->file, true, ".opt", ".o");
    char *hdr = a->hdr ? strdup(a->hdr) : swap_ext(obj, false, ".o", ".h");
    char err[512] = "";
    int rc = 0;
    if (!obj || !hdr) {
        fprintf(stderr, "symopt compile: out of memory\n");
        rc = 1;
    } else if (check_outputs(a->file, obj, hdr) < 0) {
        rc = 2;
    } else if (emit_object(r, obj, hdr, err, sizeof err) < 0) {
        fprintf(stderr, "symopt compile: %s: %s\n", a->file, err);
        rc = 1;
    }
    free(obj);
    free(hdr);
    return rc;
}

int cmd_compile(int argc, char **argv)
{
    CompileArgs a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;

    Arena arena;
    arena_init(&arena);
    Rule *r = cli_load_rule(&arena, a.file);
    if (!r)
        rc = 1;
    else if (cli_apply_defines(&a.defs, r, a.file) < 0)
        rc = 2;
    if (!rc && a.dump)
        rc = dump(r, a.what);
    if (!rc && (!a.dump || a.obj))
        rc = write_object(r, &a);
    arena_free(&arena);
    return rc;
}
