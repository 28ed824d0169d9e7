/*
 * commands.h - the sub-commands of containerd-shim-spin-v2.
 *
 * containerd runs the binary with Go-style flags and an action word
 * (`start`, `delete`, or none for the long-lived server): that is cmd_shim.
 * People run `run` (a WASI program, like `wasmtime run`) and `up` (a Spin
 * app, like `spin up`).  Each returns the process exit status.
 */
#ifndef CMD_COMMANDS_H
#define CMD_COMMANDS_H

int cmd_shim(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_up(int argc, char **argv);
void cmd_print_version(const char *argv0);

#endif
