/* Tests of the scenario parser (placeholder while it is written). */
#include "rcsim/scenario.h"

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    return g_test_run();
}
