// Helpers for tests and benchmarks that drive the real juwei binary: a scratch folder, reading a
// file whole, running a command line and capturing what it prints, and a `juwei serve` child
// process on a free loopback port that is stopped (SIGTERM) and reaped when the object goes.
// Header-only; not thread-safe (one owner per ServerProcess).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace juwei::testing {

// A new empty folder in the system's temporary folder, named `prefix` and a random number.
inline std::filesystem::path scratch_dir(const std::string& prefix) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / (prefix + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

// Now as the server writes times ("2022-04-04T02:00:00Z"): what a lab reports "just now".
inline std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `s` as one word for the shell.
inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

struct Output {
  int code = -1;  // the exit code; -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs a command line with sh, standard input from /dev/null unless it redirects it (" < "),
// and captures what it prints through the files stdout and stderr in the folder `scratch`.
inline Output run_shell(const std::string& command, const std::filesystem::path& scratch) {
  const auto out = scratch / "stdout";
  const auto err = scratch / "stderr";
  const std::string in = command.find(" < ") == std::string::npos ? " </dev/null" : "";
  const std::string line = command + in + " >" + quote(out.string()) + " 2>" + quote(err.string());
  const int status = std::system(line.c_str());
  Output o;
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

class ServerProcess {
 public:
  // Starts `bin serve --listen 127.0.0.1:0 --db db ARGS...` and waits for the address it
  // prints (https:// when ARGS turn TLS on). With quiet, the access log (standard error) goes
  // to /dev/null.
  ServerProcess(const std::string& bin, const std::string& db,
                const std::vector<std::string>& args = {}, bool quiet = false) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_s = {bin, "serve", "--listen", "127.0.0.1:0", "--db", db};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    m_pid = fork();
    if (m_pid == 0) {
      dup2(out[1], 1);
      close(out[0]);
      if (quiet) std::freopen("/dev/null", "w", stderr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    m_out = out[0];
    std::string line;
    char c = 0;
    while (read(m_out, &c, 1) == 1 && c != '\n')
      line += c;
    std::smatch m;
    if (!std::regex_search(line, m, std::regex("(https?://127\\.0\\.0\\.1:[0-9]+)"))) {
      terminate();
      wait();
      throw std::runtime_error("juwei serve did not start: " + line);
    }
    m_base_url = m[1];
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    if (m_pid > 0) {
      terminate();
      wait();
    }
    if (m_out >= 0) close(m_out);
  }

  const std::string& base_url() const { return m_base_url; }
  pid_t pid() const { return m_pid; }

  // Asks the server to stop gracefully.
  void terminate() const { kill(m_pid, SIGTERM); }
  // Waits for the server to exit; returns its waitpid status.
  int wait() {
    int status = 0;
    waitpid(m_pid, &status, 0);
    m_pid = -1;
    return status;
  }

 private:
  pid_t m_pid = -1;
  int m_out = -1;
  std::string m_base_url;
};

}  // namespace juwei::testing
