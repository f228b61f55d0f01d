// What Swift cannot reach in the C library on its own.
#ifndef SAMFORGE_CSYSTEM_H
#define SAMFORGE_CSYSTEM_H

/* The process's argc/argv, as glibc handed them to the .init_array constructors: Swift's
   CommandLine reads /proc/self/cmdline on Linux, which a chroot or debug container may lack.
   Returns 0 (and argv NULL) when no constructor ran. */
int csystem_argc(void);
char **csystem_argv(void);

/* statfs(2)'s f_type for path (PROC_SUPER_MAGIC, SYSFS_MAGIC...), or -1 with errno set.
   sys/vfs.h is not part of Swift's Glibc module. */
long csystem_filesystem_type(const char *path);

#endif
