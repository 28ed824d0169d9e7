/*
 * fake_container.h - the test hooks of fake_container.c, the container
 * layer double (its container_* functions are declared by container.h).
 */
#ifndef SHIM_FAKE_CONTAINER_H
#define SHIM_FAKE_CONTAINER_H

#include <stdbool.h>

/* While held, container_exec_start parks at a gate until released, so a
 * test can run another call in the middle of a Start. */
void fake_container_hold_exec_start(bool hold);
/* Returns once a container_exec_start is parked at the gate. */
void fake_container_await_parked_exec_start(void);

#endif
