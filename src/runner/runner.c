/*
 * runner.c - registers the runner's container handlers, in the one order
 * the container layer asks them (see runner.h).
 */
#include "runner.h"

int runner_register_handlers(util_error **err)
{
    if (container_handler_register(&runner_spin_handler, err) < 0 ||
        container_handler_register(&runner_wasi_handler, err) < 0)
        return -1;
    return 0;
}
