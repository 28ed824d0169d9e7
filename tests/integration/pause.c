/*
 * pause.c - the pod sandbox ("pause") program of our CRI test image.
 *
 * A pod's sandbox container only has to exist: its process holds the pod's
 * namespaces open so the app containers can join them.  As pid 1 of its
 * pid namespace it also reaps any orphans re-parented to it, and it exits
 * cleanly on SIGTERM/SIGINT so StopPodSandbox is quick.  Built with
 * `gcc -static` at test time, so the image needs no libc.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_child(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

int main(void)
{
    /* Signals stay blocked except inside sigsuspend, so a SIGTERM arriving
     * between the check and the wait cannot be lost. */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGCHLD);

    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    while (!stop)
        sigsuspend(&waitmask);
    return 0;
}
