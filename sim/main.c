/* rcsim command line — placeholder front end, replaced by the full CLI. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("rcsim %s\n", RCSIM_VERSION);
    return 0;
}
