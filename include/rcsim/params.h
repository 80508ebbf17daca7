/* Integer expressions of scenario parameters (`${...}` and `param`), shared by
 * the scenario parser and the sweep tools. Not a public API.
 *
 * Grammar (whitespace is allowed between tokens):
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '%') unary)*
 *   unary   := ('-' | '+') unary | primary
 *   primary := digits | NAME | NAME '(' expr ',' expr ')' | '(' expr ')'
 * NAME is a parameter, or `min` / `max` when followed by '('. Arithmetic is
 * on 64-bit signed integers; `/` and `%` truncate toward zero as in C.
 * Division by zero and overflow are errors.
 */
#ifndef RCSIM_PARAMS_H
#define RCSIM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Looks a parameter up by name (`len` bytes, not NUL-terminated): returns
 * true and its value, or false when no such parameter is defined. */
typedef bool (*rc_param_lookup_fn)(void *user, const char *name, size_t len,
                                   int64_t *value);

/* Evaluates the expression in s[0..n). On success returns true and stores
 * the value. On error returns false, sets *err_off to the byte offset in `s`
 * of the offending token and *err_msg to a new message (free with g_free). */
bool rc_expr_eval(const char *s, size_t n, rc_param_lookup_fn lookup, void *user,
                  int64_t *value, size_t *err_off, char **err_msg);

/* True when s[0..n) is a valid parameter name: a letter or '_' followed by
 * letters, digits and '_', at most 64 bytes, and not `min` or `max`. */
bool rc_param_name_valid(const char *s, size_t n);

#endif
