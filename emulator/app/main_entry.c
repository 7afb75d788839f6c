#include "main.h"

int main(int argc, char **argv) { return sim800emu_main(argc, argv); }
