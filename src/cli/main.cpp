// The juwei command: a thin adapter over the service layer (see app.hpp).
#include "cli/app.hpp"

int main(int argc, char** argv) {
  return juwei::cli::run(argc, argv);
}
