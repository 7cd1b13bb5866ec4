// The `juwei` command line: parses arguments, calls one service use case, prints the result.
// Exit codes: 0 ok, 1 the user's to fix (one line saying what), 2 internal error.
#pragma once

namespace juwei::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUser = 1;
inline constexpr int kExitInternal = 2;

int run(int argc, char** argv);

}  // namespace juwei::cli
