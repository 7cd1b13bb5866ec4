// Helpers for tests and benchmarks that drive the real juwei binary: reading a file whole, and
// a `juwei serve` child process on a free loopback port that is stopped (SIGTERM) and reaped
// when the object goes. Header-only; not thread-safe (one owner per ServerProcess).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace juwei::testing {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServerProcess {
 public:
  // Starts `bin serve --listen 127.0.0.1:0 --db db ARGS...` and waits for the address it
  // prints. With quiet, the access log (standard error) goes to /dev/null.
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
    if (!std::regex_search(line, m, std::regex("(http://127\\.0\\.0\\.1:[0-9]+)"))) {
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
