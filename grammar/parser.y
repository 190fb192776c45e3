/* The grammar of .opt files: a pure Bison parser that builds the AST of
 * one rule in an arena, reporting syntax errors through the Diag sink and
 * recovering at the next ';' so that one run reports several of them.
 *
 * Negative literals: unary minus applied directly to a NUMBER token is
 * folded into a negative ND_NUM (`-2.5`, also `x ^ -2`), so that the
 * printer can write any negative ND_NUM back as `-2.5` (parenthesised
 * where precedence needs it: `(-2) ^ x`). Anything else stays FN_NEG: a
 * parenthesised number `-(2.5)`, a negative literal `--2.5`, `-2 ^ x`
 * (which is -(2 ^ x), since ^ binds tighter than unary minus). */

%code requires {
#include <stdbool.h>

#include "compiler/arena.h"
#include "compiler/ast.h"
#include "compiler/diag.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* Arguments of a call while they are being parsed. */
typedef struct NodeList {
    Node **v;
    int n, cap;
} NodeList;

/* What the parser and the scanner share. Everything they allocate lives
 * in `a`. */
typedef struct ParseCtx {
    Arena *a;
    const Source *src;
    Diag *d;
    uint32_t pos; /* scanner's byte offset */
    int lex_errors;
    Rule *rule; /* the file's rule; a second one is reported, not kept */
    Rule *cur;  /* the rule being parsed */
    int cap_params, cap_states, cap_stmts;
    bool seen_stmt, seen_ret;
} ParseCtx;
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
}

%code {
#include <math.h>
#include <string.h>

#include "compiler/sema.h"

static void yyerror(YYLTYPE *loc, ParseCtx *ctx, yyscan_t scanner,
                    const char *msg);
static void begin_rule(ParseCtx *ctx, const char *name, Span at, Span kw);
static void add_param(ParseCtx *ctx, const char *name, Span at, double v);
static void add_state(ParseCtx *ctx, const char *name, Span at);
static void add_stmt(ParseCtx *ctx, const char *target, Span at,
                     Span stmt, Node *value);
static void set_return(ParseCtx *ctx, Node *value, Span stmt);
static Node *check_depth(ParseCtx *ctx, Node *n);
static Node *num_node(ParseCtx *ctx, double v, Span at);
static Node *var_node(ParseCtx *ctx, const char *name, Span at);
static Node *op_node(ParseCtx *ctx, FnKind fn, Span at, Node *x, Node *y);
static Node *neg_node(ParseCtx *ctx, Span at, Node *x);
static Node *call_node(ParseCtx *ctx, const char *name, Span at,
                       NodeList *args);
static NodeList *list_add(ParseCtx *ctx, NodeList *l, Node *n);

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                          \
    do {                                                                     \
        if (N) {                                                             \
            (Cur).off = YYRHSLOC(Rhs, 1).off;                                \
            (Cur).len = YYRHSLOC(Rhs, N).off + YYRHSLOC(Rhs, N).len -        \
                        YYRHSLOC(Rhs, 1).off;                                \
        } else {                                                             \
            (Cur).off = YYRHSLOC(Rhs, 0).off + YYRHSLOC(Rhs, 0).len;         \
            (Cur).len = 0;                                                   \
        }                                                                    \
    } while (0)
}

%define api.pure full
%define api.location.type {Span}
%define parse.error detailed
%locations
%expect 0
%parse-param {ParseCtx *ctx} {yyscan_t scanner}
%lex-param {yyscan_t scanner}

%union {
    Node *node;
    NodeList *list;
    char *name;
    double num;
}

/* Every semantic value lives in the parser's arena, which frees it as a
 * whole; discarding one during error recovery frees nothing. */
%destructor { (void)$$; } <node> <list> <name> <num>

%token YYEOF 0 "end of file"
%token RULE "rule" STATE "state" RETURN "return"
%token <name> NAME "name"
%token <num> NUMBER "number"

%type <node> expr
%type <list> args
%type <num> default

%left '+' '-'
%left '*' '/'
%precedence UMINUS
%right '^'

%%

file:
    rules
  ;

rules:
    rule
  | rules rule
  ;

rule:
    "rule" NAME { begin_rule(ctx, $2, @2, @1); }
    '(' params ')' '{' items '}'
  ;

params:
    %empty
  | param_list
  ;

param_list:
    param
  | param_list ',' param
  ;

param:
    NAME '=' default { add_param(ctx, $1, @1, $3); }
  ;

default:
    NUMBER { $$ = $1; }
  | '-' NUMBER { $$ = -$2; }
  ;

items:
    %empty
  | items item
  ;

item:
    "state" state_names ';' {
        if (ctx->seen_stmt)
            diag_error(ctx->d, @1, "state declarations must come before "
                                   "the statements");
    }
  | NAME '=' expr ';' { add_stmt(ctx, $1, @1, @$, check_depth(ctx, $3)); }
  | "return" expr ';' { set_return(ctx, check_depth(ctx, $2), @$); }
  | error ';'
  ;

state_names:
    NAME { add_state(ctx, $1, @1); }
  | state_names ',' NAME { add_state(ctx, $3, @3); }
  ;

expr:
    NUMBER { $$ = num_node(ctx, $1, @1); }
  | NAME { $$ = var_node(ctx, $1, @1); }
  | NAME '(' ')' { $$ = call_node(ctx, $1, @$, NULL); }
  | NAME '(' args ')' { $$ = call_node(ctx, $1, @$, $3); }
  | '(' expr ')' {
        $$ = $2;
        /* A parenthesised number is no longer foldable by unary minus. */
        if ($$->kind == ND_NUM)
            $$->span = @$;
    }
  | expr '+' expr { $$ = op_node(ctx, FN_ADD, @$, $1, $3); }
  | expr '-' expr { $$ = op_node(ctx, FN_SUB, @$, $1, $3); }
  | expr '*' expr { $$ = op_node(ctx, FN_MUL, @$, $1, $3); }
  | expr '/' expr { $$ = op_node(ctx, FN_DIV, @$, $1, $3); }
  | expr '^' expr { $$ = op_node(ctx, FN_POW, @$, $1, $3); }
  | '-' expr %prec UMINUS { $$ = neg_node(ctx, @$, $2); }
  ;

args:
    expr { $$ = list_add(ctx, NULL, $1); }
  | args ',' expr { $$ = list_add(ctx, $1, $3); }
  ;

%%

static void yyerror(YYLTYPE *loc, ParseCtx *ctx, yyscan_t scanner,
                    const char *msg)
{
    (void)scanner;
    /* Bison's own stack overflows only on absurdly nested input. */
    if (!strcmp(msg, "memory exhausted"))
        diag_error(ctx->d, *loc,
                   "expression is nested too deeply (more than %d "
                   "parser levels)",
                   (int)YYMAXDEPTH);
    else
        diag_error(ctx->d, *loc, "%s", msg);
}

/* Grows an arena array of `size`-byte items to hold n + 1 of them. */
static void *grow(Arena *a, void *v, int n, int *cap, size_t size)
{
    if (n < *cap)
        return v;
    int ncap = *cap ? *cap * 2 : 8;
    void *nv = arena_alloc(a, size * (size_t)ncap);
    if (n)
        memcpy(nv, v, size * (size_t)n);
    *cap = ncap;
    return nv;
}

/* The comment lines directly above the line of `rule`, each without the
 * whitespace around it, joined by newlines; NULL if there are none. */
static const char *doc_before(ParseCtx *ctx, uint32_t off)
{
    const char *t = ctx->src->text;
    uint32_t bol = off, first = 0, end = 0;
    while (bol > 0 && t[bol - 1] != '\n')
        bol--;
    for (uint32_t i = bol; i < off; i++)
        if (t[i] != ' ' && t[i] != '\t')
            return NULL;

    /* Walk up while the line above starts with '#'. */
    uint32_t line = bol;
    while (line > 0) {
        uint32_t prev = line - 1;
        while (prev > 0 && t[prev - 1] != '\n')
            prev--;
        uint32_t s = prev;
        while (t[s] == ' ' || t[s] == '\t')
            s++;
        if (t[s] != '#')
            break;
        if (!end)
            end = line;
        first = prev;
        line = prev;
    }
    if (!end)
        return NULL;

    char *doc = arena_alloc(ctx->a, end - first + 1);
    size_t n = 0;
    for (uint32_t p = first; p < end;) {
        uint32_t e = p;
        while (t[e] != '\n')
            e++;
        uint32_t s = p, x = e;
        while (t[s] == ' ' || t[s] == '\t')
            s++;
        while (x > s && (t[x - 1] == ' ' || t[x - 1] == '\t' ||
                         t[x - 1] == '\r'))
            x--;
        if (n)
            doc[n++] = '\n';
        memcpy(doc + n, t + s, x - s);
        n += x - s;
        p = e + 1;
    }
    doc[n] = '\0';
    return doc;
}

static void begin_rule(ParseCtx *ctx, const char *name, Span at, Span kw)
{
    Rule *r = arena_alloc(ctx->a, sizeof *r);
    r->name = name;
    r->span = at;
    r->arena = ctx->a;
    r->lr_param = -1;
    r->ret_span = at;
    r->doc = doc_before(ctx, kw.off);
    if (ctx->rule)
        diag_error(ctx->d, at, "a file holds one rule; '%s' is a second",
                   name);
    else
        ctx->rule = r;
    ctx->cur = r;
    ctx->cap_params = ctx->cap_states = ctx->cap_stmts = 0;
    ctx->seen_stmt = ctx->seen_ret = false;
}

static void add_param(ParseCtx *ctx, const char *name, Span at, double v)
{
    Rule *r = ctx->cur;
    r->params = grow(ctx->a, r->params, r->nparams, &ctx->cap_params,
                     sizeof *r->params);
    r->params[r->nparams++] = (Param){.name = name, .value = v, .span = at};
}

static void add_state(ParseCtx *ctx, const char *name, Span at)
{
    Rule *r = ctx->cur;
    r->states = grow(ctx->a, r->states, r->nstates, &ctx->cap_states,
                     sizeof *r->states);
    r->states[r->nstates++] = (StateDecl){.name = name, .span = at};
}

static void add_stmt(ParseCtx *ctx, const char *target, Span at,
                     Span stmt, Node *value)
{
    Rule *r = ctx->cur;
    if (ctx->seen_ret) {
        diag_error(ctx->d, stmt, "statement after the return");
        return;
    }
    ctx->seen_stmt = true;
    r->stmts = grow(ctx->a, r->stmts, r->nstmts, &ctx->cap_stmts,
                    sizeof *r->stmts);
    r->stmts[r->nstmts++] = (Stmt){.target = target, .span = stmt,
                                   .target_span = at, .value = value,
                                   .tkind = VK_UNRESOLVED, .tslot = -1};
}

static void set_return(ParseCtx *ctx, Node *value, Span stmt)
{
    if (ctx->seen_ret) {
        diag_error(ctx->d, stmt, "statement after the return");
        return;
    }
    ctx->seen_stmt = ctx->seen_ret = true;
    ctx->cur->ret = value;
    ctx->cur->ret_span = stmt;
}

static Node *check_depth(ParseCtx *ctx, Node *n)
{
    if (sema_depth_exceeds(n, SEMA_MAX_DEPTH))
        diag_error(ctx->d, n->span,
                   "expression is nested more than %d levels deep",
                   SEMA_MAX_DEPTH);
    return n;
}

static Node *num_node(ParseCtx *ctx, double v, Span at)
{
    Node *n = ast_num(ctx->a, v);
    n->span = at;
    return n;
}

static Node *var_node(ParseCtx *ctx, const char *name, Span at)
{
    Node *n = ast_var(ctx->a, name);
    n->span = at;
    return n;
}

static Node *op_node(ParseCtx *ctx, FnKind fn, Span at, Node *x, Node *y)
{
    Node *args[2] = {x, y};
    Node *n = ast_call(ctx->a, fn, 2, args);
    n->span = at;
    return n;
}

/* Folds `-NUMBER` (the number's span starts with a digit or '.': neither
 * parenthesised nor already negative) into a negative literal. */
static Node *neg_node(ParseCtx *ctx, Span at, Node *x)
{
    char c = ctx->src->text[x->span.off];
    if (x->kind == ND_NUM && (c == '.' || (c >= '0' && c <= '9'))) {
        x->num = -x->num;
        x->span = at;
        return x;
    }
    Node *n = ast_call(ctx->a, FN_NEG, 1, &x);
    n->span = at;
    return n;
}

static Node *call_node(ParseCtx *ctx, const char *name, Span at,
                       NodeList *args)
{
    FnKind fn = fn_lookup(name, strlen(name));
    int nargs = args ? args->n : 0;
    Node *n = ast_call(ctx->a, fn == FN_NONE ? FN_ADD : fn, nargs,
                       args ? args->v : NULL);
    n->fn = fn;
    n->name = name;
    n->span = at;
    return n;
}

static NodeList *list_add(ParseCtx *ctx, NodeList *l, Node *n)
{
    if (!l)
        l = arena_alloc(ctx->a, sizeof *l);
    l->v = grow(ctx->a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = n;
    return l;
}
