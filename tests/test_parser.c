/* Parser tests: the examples parse, precedence and associativity give the
 * trees the language defines, syntax and lexer errors are reported with
 * their locations, and every file of the bad corpus (tests/bad, *.opt)
 * gives exactly the diagnostics written inside it. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/sema.h"
#include "grammar/parse.h"

/* A string literal and its length, NUL bytes included. */
#define LIT(s) s, sizeof(s) - 1

/* A parse of `text` whose diagnostics are collected in `out`. */
typedef struct Run {
    Arena a;
    Source src;
    Diag d;
    char *out;
    size_t outlen;
    FILE *f;
    Rule *r;
} Run;

static void run_parse(Run *run, const char *text, size_t len, bool check)
{
    arena_init(&run->a);
    run->src.path = "t.opt";
    run->src.text = text;
    run->src.len = len;
    run->out = NULL;
    run->f = open_memstream(&run->out, &run->outlen);
    diag_init(&run->d, &run->src, run->f);
    run->r = parse_rule(&run->a, &run->src, &run->d);
    if (run->r && check && !sema_check(run->r, &run->d))
        run->r = NULL;
    fflush(run->f);
}

static void run_free(Run *run)
{
    fclose(run->f);
    free(run->out);
    arena_free(&run->a);
}

/* An independent rendering of a tree as an S-expression, so that tree
 * shapes are checked without the printer under test. */
static void sexpr(const Node *n, char *buf, size_t size)
{
    size_t len = strlen(buf);
    if (n->kind == ND_NUM) {
        snprintf(buf + len, size - len, "%g", n->num);
    } else if (n->kind == ND_VAR) {
        snprintf(buf + len, size - len, "%s", n->name);
    } else {
        const char *name = n->fn == FN_NEG ? "neg" : n->name;
        snprintf(buf + len, size - len, "(%s", name);
        for (int i = 0; i < n->nargs; i++) {
            strncat(buf, " ", size - strlen(buf) - 1);
            sexpr(n->args[i], buf, size);
        }
        strncat(buf, ")", size - strlen(buf) - 1);
    }
}

static void assert_tree(const char *expr, const char *want)
{
    char text[512], got[512] = "";
    snprintf(text, sizeof text, "rule r(a = 1, b = 2, c = 3) {\n"
                                "    return %s;\n}\n", expr);
    Run run;
    run_parse(&run, text, strlen(text), false);
    if (!run.r)
        fail_msg("'%s' did not parse: %s", expr, run.out);
    sexpr(run.r->ret, got, sizeof got);
    if (strcmp(got, want))
        fail_msg("'%s' parsed as %s, want %s", expr, got, want);
    run_free(&run);
}

static void test_parser_precedence(void **state)
{
    (void)state;
    assert_tree("a - b - c", "(- (- a b) c)");
    assert_tree("a - (b - c)", "(- a (- b c))");
    assert_tree("a / b / c", "(/ (/ a b) c)");
    assert_tree("a + b * c", "(+ a (* b c))");
    assert_tree("(a + b) * c", "(* (+ a b) c)");
    assert_tree("a * b + c", "(+ (* a b) c)");
    assert_tree("a ^ b ^ c", "(^ a (^ b c))");
    assert_tree("a * b ^ c", "(* a (^ b c))");
    assert_tree("-a ^ 2", "(neg (^ a 2))");
    assert_tree("-a * b", "(* (neg a) b)");
    assert_tree("-(a * b)", "(neg (* a b))");
    assert_tree("a ^ -b ^ c", "(^ a (neg (^ b c)))");
    assert_tree("interp(g, a, b + 1)", "(interp g a (+ b 1))");
    assert_tree("max(a, b) - min(a, -b)", "(- (max a b) (min a (neg b)))");
    assert_tree("1 - b ^ step", "(- 1 (^ b step))");
}

static void test_parser_negative_literals(void **state)
{
    (void)state;
    assert_tree("-2", "-2");
    assert_tree("-2.5e-3", "-0.0025");
    assert_tree("-(2)", "(neg 2)");
    assert_tree("--2", "(neg -2)");
    assert_tree("-(-2)", "(neg -2)");
    assert_tree("-2 ^ a", "(neg (^ 2 a))");
    assert_tree("(-2) ^ a", "(^ -2 a)");
    assert_tree("a ^ -2", "(^ a -2)");
    assert_tree("a - -2", "(- a -2)");
    assert_tree("-2 * a", "(* -2 a)");
    assert_tree(".5 + 1. + 2.5E+1", "(+ (+ 0.5 1) 25)");
}

static void test_parser_rule_parts(void **state)
{
    (void)state;
    const char *text = "# one\n#two  \n\n# doc line\n   # second\n"
                       "rule r(x = -0.5, y = 1e3) {\n"
                       "    state m, v; # trailing\n"
                       "    state z;\n"
                       "    m = x; v = y; z = m;\n"
                       "    return m + v + z;\n}\n";
    Run run;
    run_parse(&run, text, strlen(text), true);
    assert_non_null(run.r);
    assert_string_equal(run.r->doc, "# doc line\n# second");
    assert_int_equal(run.r->nparams, 2);
    assert_true(run.r->params[0].value == -0.5);
    assert_true(run.r->params[1].value == 1000);
    assert_int_equal(run.r->nstates, 3);
    assert_string_equal(run.r->states[2].name, "z");
    assert_int_equal(run.r->nstmts, 3);
    assert_ptr_equal(run.r->arena, &run.a);
    run_free(&run);

    run_parse(&run, LIT("rule r() { return 1; }"), true);
    assert_non_null(run.r);
    assert_null(run.r->doc);
    assert_int_equal(run.r->nparams, 0);
    run_free(&run);
}

static void test_parser_examples(void **state)
{
    (void)state;
    const char *dir = SYMOPT_SOURCE_DIR "/examples";
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".opt"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        Source src;
        assert_int_equal(source_read_file(&src, path), 0);
        Run run;
        run_parse(&run, src.text, src.len, true);
        if (!run.r)
            fail_msg("%s: %s", path, run.out);
        assert_non_null(run.r->doc);
        run_free(&run);
        source_free(&src);
        n++;
    }
    closedir(d);
    assert_true(n >= 12);
}

/* Asserts that the diagnostics of `text` are exactly the `want` lines
 * ("line:col: error: message"), in order; notes are ignored. */
static void assert_errors(const char *text, size_t len, const char *want)
{
    Run run;
    run_parse(&run, text, len, true);
    assert_null(run.r);

    char got[4096] = "";
    for (char *line = run.out; line && *line;) {
        char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        if (!strncmp(line, "t.opt:", 6) && memmem(line, n, ": error: ", 9)) {
            strncat(got, line + 6, n - 6 < sizeof got - strlen(got) - 2
                                       ? n - 6 : 0);
            strcat(got, "\n");
        }
        line = eol ? eol + 1 : NULL;
    }
    if (strcmp(got, want))
        fail_msg("diagnostics:\n%s\nwant:\n%s\nfull output:\n%s", got, want,
                 run.out);
    run_free(&run);
}

static void test_parser_recovery(void **state)
{
    (void)state;
    const char *text = "rule r(lr = 1) {\n"
                       "    a = lr * ;\n"
                       "    b = (g + 1;\n"
                       "    c = g g;\n"
                       "    return a + b + c;\n"
                       "}\n";
    assert_errors(text, strlen(text),
                  "2:14: error: syntax error, unexpected ';', expecting "
                  "name or number or '-' or '('\n"
                  "3:15: error: syntax error, unexpected ';'\n"
                  "4:11: error: syntax error, unexpected name\n");
}

static void test_parser_lexer_errors(void **state)
{
    (void)state;
    assert_errors(LIT("rule r() { return 1 @ 2; }"),
                  "1:21: error: unexpected character '@'\n"
                  "1:23: error: syntax error, unexpected number\n");
    assert_errors(LIT("rule r() {\n  return 1;\n}\0\n"),
                  "3:2: error: NUL byte in the file\n");
    assert_errors(LIT("# caf\xc3\xa9 ok\n# bad \xff\nrule r() { return 1; }"),
                  "2:7: error: invalid UTF-8 byte 0xff\n");
    assert_errors(LIT("rule r() { return 1e999; }"),
                  "1:19: error: number '1e999' is too large\n");
    assert_errors(LIT("rule r() { return \xce\xbb; }"),
                  "1:19: error: unexpected character '\xce\xbb'\n"
                  "1:21: error: syntax error, unexpected ';', expecting "
                  "name or number or '-' or '('\n");
    assert_errors(LIT(""), "1:1: error: syntax error, unexpected end of file, "
                         "expecting rule\n");
    assert_errors(LIT("rule a() { return 1; }\nrule b() { return 2; }\n"),
                  "2:6: error: a file holds one rule; 'b' is a second\n");
    assert_errors(LIT("rule r() { return 1; x = 2; }"),
                  "1:22: error: statement after the return\n");
    assert_errors(LIT("rule r() { return 1; return 2; }"),
                  "1:22: error: statement after the return\n");
}

static void test_parser_limits(void **state)
{
    (void)state;
    char name[PARSE_MAX_NAME + 2];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    char text[1024];
    snprintf(text, sizeof text, "rule r() { %s = 1; return %s; }", name,
             name);
    assert_errors(text, strlen(text),
                  "1:12: error: name is longer than 64 characters\n"
                  "1:90: error: name is longer than 64 characters\n");

    /* Deep nesting of every kind is an error, not a stack overflow. */
    size_t big = 300000;
    char *deep = malloc(big + 64);
    strcpy(deep, "rule r() { return ");
    size_t n = strlen(deep);
    for (int i = 0; i < 100000; i++, n += 2)
        memcpy(deep + n, "1+", 2);
    strcpy(deep + n, "1; }");
    assert_errors(deep, strlen(deep), "1:19: error: expression is nested "
                                      "more than 200 levels deep\n");
    n = 18;
    for (int i = 0; i < 1000; i++)
        deep[n++] = '-';
    strcpy(deep + n, "1; }");
    assert_errors(deep, strlen(deep), "1:19: error: expression is nested "
                                      "more than 200 levels deep\n");
    n = 18;
    for (int i = 0; i < 50000; i++)
        deep[n++] = '(';
    strcpy(deep + n, "1; }");
    Run run;
    run_parse(&run, deep, strlen(deep), true);
    assert_null(run.r);
    assert_true(run.d.nerrors >= 1);
    run_free(&run);
    free(deep);

    char *huge = calloc(PARSE_MAX_FILE + 2, 1);
    memset(huge, ' ', PARSE_MAX_FILE + 1);
    assert_errors(huge, PARSE_MAX_FILE + 1,
                  "1:1: error: file is larger than 1048576 bytes\n");
    free(huge);
}

/* Runs one file of the bad corpus: its `# expect: L:C: error: MSG` lines,
 * in order, are exactly the errors it gives. */
static void check_bad_file(const char *path)
{
    Source src;
    assert_int_equal(source_read_file(&src, path), 0);
    char want[4096] = "";
    for (const char *p = src.text; (p = strstr(p, "# expect: "));) {
        p += 10;
        size_t n = strcspn(p, "\n");
        strncat(want, p, n);
        strcat(want, "\n");
    }
    if (!*want)
        fail_msg("%s has no '# expect:' lines", path);
    assert_errors(src.text, src.len, want);
    source_free(&src);
}

static void test_parser_bad_corpus(void **state)
{
    (void)state;
    const char *dir = SYMOPT_SOURCE_DIR "/tests/bad";
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".opt"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        check_bad_file(path);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_precedence),
        cmocka_unit_test(test_parser_negative_literals),
        cmocka_unit_test(test_parser_rule_parts),
        cmocka_unit_test(test_parser_examples),
        cmocka_unit_test(test_parser_recovery),
        cmocka_unit_test(test_parser_lexer_errors),
        cmocka_unit_test(test_parser_limits),
        cmocka_unit_test(test_parser_bad_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
