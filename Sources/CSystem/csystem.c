#include "csystem.h"

#include <stddef.h>
#include <sys/vfs.h>

static int saved_argc;
static char **saved_argv;

/* glibc calls .init_array functions with (argc, argv, envp) before main; the pointers stay
   valid for the life of the process (they point into the initial stack). */
static void save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

__attribute__((section(".init_array"), used))
static void (*const csystem_save_arguments)(int, char **, char **) = save_arguments;

int csystem_argc(void) { return saved_argv == NULL ? 0 : saved_argc; }

char **csystem_argv(void) { return saved_argv; }

long csystem_filesystem_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}
