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
#include <functional>
#include <memory>
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

// Starts the program argv[0] with the arguments argv, after `in_child` has run in the child
// (redirections); returns the child's pid.
inline pid_t spawn(std::vector<std::string> argv, const std::function<void()>& in_child) {
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    in_child();
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// `prism proxy` (Stoplight's OpenAPI validator) in front of a server: it forwards every request
// and marks each exchange that breaks the spec with an `sl-violations` response header (see
// http_call.hpp for what a test makes of it). Started on a free loopback port; stopped when
// the object goes.
class SpecProxy {
 public:
  SpecProxy(const std::string& prism, const std::string& spec, const std::string& upstream)
      : m_log(scratch_dir("juwei-prism-") / "prism.log") {
    // Its log goes to a file, so that nothing it writes can block it.
    m_pid = spawn({prism, "proxy", spec, upstream, "--port", "0", "--cors", "false", "-v", "info"},
                  [this] {
                    std::freopen(m_log.c_str(), "w", stdout);
                    dup2(1, 2);
                  });
    // Its start-up lines, until the one naming the address it listens on.
    const std::regex listening("listening on (http://127\\.0\\.0\\.1:[0-9]+)");
    for (int i = 0; i < 600; ++i) {
      const std::string log = slurp(m_log);
      std::smatch m;
      if (std::regex_search(log, m, listening)) {
        m_base_url = m[1];
        return;
      }
      if (waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
        m_pid = -1;
        break;
      }
      usleep(50'000);
    }
    const std::string log = slurp(m_log);
    stop();
    throw std::runtime_error("prism proxy did not start: " + log);
  }
  SpecProxy(const SpecProxy&) = delete;
  SpecProxy& operator=(const SpecProxy&) = delete;
  ~SpecProxy() { stop(); }

  const std::string& base_url() const { return m_base_url; }

 private:
  void stop() {
    if (m_pid > 0) {
      kill(m_pid, SIGKILL);  // it keeps nothing, and node may not end on SIGTERM
      waitpid(m_pid, nullptr, 0);
      m_pid = -1;
    }
    std::filesystem::remove_all(m_log.parent_path());
  }

  std::filesystem::path m_log;
  pid_t m_pid = -1;
  std::string m_base_url;
};

class ServerProcess {
 public:
  // Starts `bin serve --listen 127.0.0.1:0 --db db ARGS...` and waits for the address it
  // prints (https:// when ARGS turn TLS on). With quiet, the access log (standard error) goes
  // to /dev/null.
  ServerProcess(const std::string& bin, const std::string& db,
                const std::vector<std::string>& args = {}, bool quiet = false) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv = {bin, "serve", "--listen", "127.0.0.1:0", "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    m_pid = spawn(std::move(argv), [&] {
      dup2(out[1], 1);
      close(out[0]);
      if (quiet) std::freopen("/dev/null", "w", stderr);
    });
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
    m_direct_url = m[1];
    // Behind the spec validator when the test runs with one: ctest sets JUWEI_SPEC_PROXY to
    // "PRISM|SPEC" (prism, docs/openapi.yaml) for the API tests.
    const char* proxy = std::getenv("JUWEI_SPEC_PROXY");
    const std::string validator = proxy != nullptr ? proxy : "";
    if (const auto bar = validator.find('|');
        bar != std::string::npos && !m_direct_url.starts_with("https:")) {
      const std::string prism = validator.substr(0, bar);
      const std::string spec = validator.substr(bar + 1);
      try {
        m_proxy = std::make_unique<SpecProxy>(prism, spec, m_direct_url);
      } catch (...) {
        terminate();
        wait();
        throw;
      }
    }
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    m_proxy.reset();
    if (m_pid > 0) {
      terminate();
      wait();
    }
    if (m_out >= 0) close(m_out);
  }

  // Where to send requests: the spec validator when there is one, else the server itself.
  const std::string& base_url() const { return m_proxy ? m_proxy->base_url() : m_direct_url; }
  // The server itself, for what a proxy would change (connections, raw bytes on the socket).
  const std::string& direct_url() const { return m_direct_url; }
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
  std::string m_direct_url;
  std::unique_ptr<SpecProxy> m_proxy;
};

}  // namespace juwei::testing
