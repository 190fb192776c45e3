/* Tests of ahead-of-time output: Lion compiled to an object and linked
 * into examples/use_rule.c with only -lm gives the JIT's numbers bit for
 * bit; every example's header compiles and its object needs only libm;
 * failures name the path and leave no file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/emit.h"
#include "compiler/jit.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "tests/support.h"

static char tmpdir[256];

static const char *cc(void)
{
    const char *c = getenv("CC");
    return c && *c ? c : "cc";
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_aot_lion_links_and_agrees(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = tu_example(&a, "lion.opt");
    char obj[512], hdr[512], exe[512], cmd[2048], err[256] = "";
    snprintf(obj, sizeof obj, "%s/lion.o", tmpdir);
    snprintf(hdr, sizeof hdr, "%s/lion.h", tmpdir);
    snprintf(exe, sizeof exe, "%s/use_rule", tmpdir);
    if (emit_object(r, obj, hdr, err, sizeof err) < 0)
        fail_msg("%s", err);
    snprintf(cmd, sizeof cmd,
             "%s -std=c17 -Wall -Wextra -Werror -I%s %s/examples/use_rule.c "
             "%s -lm -o %s",
             cc(), tmpdir, SYMOPT_SOURCE_DIR, obj, exe);
    assert_int_equal(run(cmd), 0);

    FILE *p = popen(exe, "r");
    assert_non_null(p);
    enum { N = 1003 };
    float *w0 = calloc(N, 4), *g = calloc(N, 4), *w = calloc(N, 4);
    float *m = calloc(N, 4), *jw = calloc(N, 4), *jm = calloc(N, 4);
    for (int i = 0; i < N; i++)
        assert_int_equal(fscanf(p, "%a %a %a %a", &w0[i], &g[i], &w[i], &m[i]),
                         4);
    assert_int_equal(pclose(p), 0);

    /* The same three steps through the JIT, from the same inputs. */
    Jit *j = jit_new(err, sizeof err);
    assert_non_null(j);
    JitRule *jr = jit_compile(j, r, err, sizeof err);
    assert_non_null(jr);
    float hp[4];
    for (int k = 0; k < 4; k++)
        hp[k] = (float)r->params[k].value;
    memcpy(jw, w0, N * sizeof *jw);
    float *st[1] = {jm};
    for (int s = 1; s <= 3; s++)
        jit_fn(jr)(N, jw, g, st, hp, 1e-2f, s);
    for (int i = 0; i < N; i++) {
        if (memcmp(&jw[i], &w[i], 4) || memcmp(&jm[i], &m[i], 4))
            fail_msg("element %d: object w=%a m=%a, JIT w=%a m=%a", i, w[i],
                     m[i], jw[i], jm[i]);
    }
    /* One element by hand: g = 1e30 gives m = interp of huge values, the
     * sign is +1 on each step. */
    assert_true(w[2] < w0[2]);

    jit_free(j);
    free(w0), free(g), free(w), free(m), free(jw), free(jm);
    arena_free(&a);
}

static int is_opt(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && !strcmp(e->d_name + n - 4, ".opt");
}

/* Each example: the header compiles cleanly (as C and with its struct
 * laid out like a float array) and the object's undefined symbols are
 * libm functions only. */
static void test_aot_examples_headers_and_symbols(void **unused)
{
    (void)unused;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/examples", SYMOPT_SOURCE_DIR);
    struct dirent **names;
    int n = scandir(dir, &names, is_opt, alphasort);
    assert_true(n >= 10);
    static const char *const libm[] = {"expf", "logf",  "powf",   "sinf",
                                       "cosf", "tanhf", "expm1f", "log1pf"};
    for (int f = 0; f < n; f++) {
        Arena a;
        arena_init(&a);
        Rule *r = tu_example(&a, names[f]->d_name);
        char obj[512], hdr[512], src[512], cmd[2048], err[256] = "";
        snprintf(obj, sizeof obj, "%s/%s.o", tmpdir, r->name);
        snprintf(hdr, sizeof hdr, "%s/%s.h", tmpdir, r->name);
        snprintf(src, sizeof src, "%s/t_%s.c", tmpdir, r->name);
        if (emit_object(r, obj, hdr, err, sizeof err) < 0)
            fail_msg("%s: %s", names[f]->d_name, err);

        FILE *c = fopen(src, "w");
        assert_non_null(c);
        fprintf(c,
                "#include \"%s.h\"\n#include \"%s.h\"\n"
                "_Static_assert(sizeof(%s_hparams) == %d * sizeof(float),"
                " \"layout\");\n"
                "void (*use)(int64_t, float *, const float *, "
                "float *const *, const %s_hparams *, float, int64_t) = "
                "%s_step;\n",
                r->name, r->name, r->name, r->nparams ? r->nparams : 1, r->name,
                r->name);
        fclose(c);
        snprintf(cmd, sizeof cmd,
                 "%s -std=c17 -Wall -Wextra -Werror -c "
                 "-I%s %s -o %s.o",
                 cc(), tmpdir, src, src);
        assert_int_equal(run(cmd), 0);

        snprintf(cmd, sizeof cmd, "nm -u %s", obj);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char line[256];
        while (fgets(line, sizeof line, p)) {
            char sym[200] = "";
            if (sscanf(line, " U %199s", sym) != 1)
                continue;
            bool ok = false;
            for (size_t k = 0; k < sizeof libm / sizeof *libm; k++)
                ok |= !strcmp(sym, libm[k]);
            if (!ok)
                fail_msg("%s needs '%s'", obj, sym);
        }
        assert_int_equal(pclose(p), 0);
        arena_free(&a);
        free(names[f]);
    }
    free(names);
}

static void test_aot_header_contents(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = tu_example(&a, "adamw.opt");
    char err[256] = "";
    char *h = emit_header(r, err, sizeof err);
    assert_non_null(h);
    assert_non_null(strstr(h, "#ifndef SYMOPT_RULE_ADAMW_H"));
    assert_non_null(strstr(h, "#include <stdint.h>"));
    assert_non_null(strstr(h, "#define adamw_NSTATES 2"));
    /* Defaults as the float values the rule sees, in header order. */
    assert_non_null(strstr(h, "adamw_defaults = {0.00100000005f, "
                              "0.899999976f, 0.999000013f, 9.99999994e-09f, "
                              "0.00999999978f}"));
    assert_non_null(strstr(h, "void adamw_step(int64_t n, float *w, "
                              "const float *g,"));
    free(h);

    r->name = "int";
    assert_null(emit_header(r, err, sizeof err));
    assert_non_null(strstr(err, "'int'"));
    arena_free(&a);
}

/* An unwritable path fails with its name in the message, and neither file
 * appears (nor any temporary). */
static void test_aot_unwritable_leaves_nothing(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = tu_example(&a, "sgd.opt");
    char obj[512], err[256] = "";
    snprintf(obj, sizeof obj, "%s/fail/x.o", tmpdir);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/fail", tmpdir);
    assert_int_equal(mkdir(sub, 0755), 0);

    assert_int_equal(
        emit_object(r, obj, "/nonexistent-dir/x.h", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.h"));
    assert_false(exists(obj));
    DIR *d = opendir(sub);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(d)))
        entries += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 0);

    assert_int_equal(
        emit_object(r, "/nonexistent-dir/x.o", obj, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.o"));
    rmdir(sub);
    arena_free(&a);
}

static int setup(void **unused)
{
    (void)unused;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/symopt_aot_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **unused)
{
    (void)unused;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aot_lion_links_and_agrees),
        cmocka_unit_test(test_aot_examples_headers_and_symbols),
        cmocka_unit_test(test_aot_header_contents),
        cmocka_unit_test(test_aot_unwritable_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
