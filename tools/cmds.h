/* The subcommands of `symopt`. Each gets argv after the subcommand's name
 * (argv[0] is the subcommand) and returns the process exit status. */
#ifndef SYMOPT_CMDS_H
#define SYMOPT_CMDS_H

int cmd_check(int argc, char **argv);
int cmd_fmt(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_evolve(int argc, char **argv);

#endif
