/* The printer. Precedence levels mirror grammar/parser.y: + - < * / <
 * unary minus < ^ (right-associative, with unary minus allowed on its
 * right) < atoms. A negative literal prints as `-2.5` and ranks with unary
 * minus; FN_NEG of a non-negative literal prints as `-(2.5)` so that the
 * parser does not fold it into a literal. */
#include "compiler/print.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/sema.h"

enum { P_ADD = 1, P_MUL, P_UNARY, P_POW, P_ATOM };

static int prec(const Node *n)
{
    if (n->kind == ND_NUM)
        return signbit(n->num) ? P_UNARY : P_ATOM;
    if (n->kind != ND_CALL)
        return P_ATOM;
    switch (n->fn) {
    case FN_ADD:
    case FN_SUB:
        return n->nargs == 2 ? P_ADD : P_ATOM;
    case FN_MUL:
    case FN_DIV:
        return n->nargs == 2 ? P_MUL : P_ATOM;
    case FN_NEG:
        return n->nargs == 1 ? P_UNARY : P_ATOM;
    case FN_POW:
        return n->nargs == 2 ? P_POW : P_ATOM;
    default:
        return P_ATOM;
    }
}

/* Removes the '+' and leading zeros of a %g exponent: 1e+06 -> 1e6. */
static void compact_exponent(char *s)
{
    char *e = strchr(s, 'e');
    if (!e)
        return;
    char *src = e + 1, *dst = e + 1;
    if (*src == '+')
        src++;
    else if (*src == '-')
        *dst++ = *src++;
    while (*src == '0' && src[1])
        src++;
    memmove(dst, src, strlen(src) + 1);
}

/* The first precision from `p` up that reads back as v, exponent
 * compacted. */
static void shortest(char *buf, size_t size, const char *fmt, int p,
                     double v)
{
    for (; p <= 17; p++) {
        snprintf(buf, size, fmt, p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    compact_exponent(buf);
}

void print_number(char *buf, size_t size, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", isnan(v) ? "nan" : "inf");
        return;
    }
    if (v == floor(v) && v < 1e7) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    shortest(buf, size, "%.*g", 1, v);

    /* The exponent form when it is strictly shorter: 1e-3, not 0.001. */
    char e[40];
    shortest(e, sizeof e, "%.*e", 0, v);
    if (strlen(e) < strlen(buf))
        snprintf(buf, size, "%s", e);
}

static void print_num(FILE *out, double v)
{
    char buf[40];
    if (signbit(v))
        fputc('-', out);
    print_number(buf, sizeof buf, fabs(v));
    fputs(buf, out);
}

static void print_expr(FILE *out, const Node *n, int depth);

static void print_operand(FILE *out, const Node *n, bool paren, int depth)
{
    if (paren)
        fputc('(', out);
    print_expr(out, n, depth);
    if (paren)
        fputc(')', out);
}

static void print_call(FILE *out, const Node *n, int depth)
{
    const char *name = n->name ? n->name
        : n->fn >= 0 && n->fn < FN__COUNT ? fn_info[n->fn].name : "?";
    fprintf(out, "%s(", name);
    for (int i = 0; i < n->nargs; i++) {
        if (i)
            fputs(", ", out);
        print_expr(out, n->args[i], depth + 1);
    }
    fputc(')', out);
}

static void print_expr(FILE *out, const Node *n, int depth)
{
    if (depth > SEMA_MAX_DEPTH) {
        fputs("...", out);
        return;
    }
    if (n->kind == ND_NUM) {
        print_num(out, n->num);
        return;
    }
    if (n->kind == ND_VAR) {
        fputs(n->name ? n->name : "?", out);
        return;
    }

    int p = prec(n);
    if (p == P_ATOM) {
        print_call(out, n, depth);
        return;
    }
    if (p == P_UNARY) {
        const Node *x = n->args[0];
        fputc('-', out);
        bool lit = x->kind == ND_NUM && !signbit(x->num);
        print_operand(out, x, lit || prec(x) < P_UNARY, depth + 1);
        return;
    }

    const Node *x = n->args[0], *y = n->args[1];
    bool lparen = p == P_POW ? prec(x) < P_ATOM : prec(x) < p;
    bool rparen = p == P_POW ? prec(y) < P_UNARY : prec(y) <= p;
    print_operand(out, x, lparen, depth + 1);
    fprintf(out, " %s ", fn_info[n->fn].name);
    print_operand(out, y, rparen, depth + 1);
}

void print_node_to(FILE *out, const Node *n)
{
    print_expr(out, n, 1);
}

char *print_node(const Node *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        diag_internal(__FILE__, __LINE__, "out of memory");
    print_node_to(out, n);
    fclose(out);
    return buf;
}

/* The doc comment, each line starting with '#'. */
static void print_doc(FILE *out, const char *doc)
{
    for (const char *p = doc; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (*p != '#')
            fputs("# ", out);
        fprintf(out, "%.*s\n", (int)len, p);
        p += len;
        if (*p == '\n')
            p++;
    }
}

char *print_rule(const Rule *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        diag_internal(__FILE__, __LINE__, "out of memory");

    if (r->doc && *r->doc)
        print_doc(out, r->doc);
    fprintf(out, "rule %s(", r->name);
    for (int i = 0; i < r->nparams; i++) {
        fprintf(out, "%s%s = ", i ? ", " : "", r->params[i].name);
        print_num(out, r->params[i].value);
    }
    fputs(") {\n", out);

    for (int i = 0; i < r->nstates; i++)
        fprintf(out, "%s%s", i ? ", " : "    state ", r->states[i].name);
    if (r->nstates)
        fputs(";\n", out);
    for (int i = 0; i < r->nstmts; i++) {
        fprintf(out, "    %s = ", r->stmts[i].target);
        print_node_to(out, r->stmts[i].value);
        fputs(";\n", out);
    }
    if (r->ret) {
        fputs("    return ", out);
        print_node_to(out, r->ret);
        fputs(";\n", out);
    }
    fputs("}\n", out);
    fclose(out);
    return buf;
}
