/*
 * fake_shim_main.c - the shim command line over the container-layer
 * double: the real start/daemon/delete code paths without root.
 */
#include "shim.h"

int main(int argc, char **argv)
{
    return shim_main(argc, argv);
}
