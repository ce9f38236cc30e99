// pgduplex demo: two throwaway local clusters with two-way sync live.
//
// Creates clusters A and B under a work directory, a small shop schema with
// data on A, checks the pair (precheck), starts both directions (`up`, which
// does the initial sync of A into B), interleaves the sequences, then writes
// on both sides — including one deliberate conflict, the same new customer
// inserted on A and on B — while printing live status, waits until both
// sides converge, runs verify, and cleans everything up (also on Ctrl-C).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <thread>

#include "commands/commands.h"
#include "ops/local_cluster.h"
#include "common/pg_connection.h"

namespace pgduplex {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted = true; }

void Step(const std::string& text) { std::cout << "\n==> " << text << std::endl; }

const char* kSchema = R"SQL(
CREATE TABLE public.customers (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  city text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE public.orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES public.customers(id),
  amount numeric(12,2) NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO public.customers (name, city)
  SELECT 'customer ' || i, (ARRAY['Lisbon','Oslo','Osaka','Lima'])[1 + i % 4] FROM generate_series(1, 1000) i;
INSERT INTO public.orders (customer_id, amount, note)
  SELECT 1 + i % 1000, (i % 500) + 0.99, 'initial order ' || i FROM generate_series(1, 5000) i;
)SQL";

// Count and content hash of both tables, computed inside the database.
std::string Fingerprint(PgConnection& conn) {
  return conn
      .Scalar("SELECT (SELECT count(*) || ':' || coalesce(md5(string_agg(c::text, ',' ORDER BY id)), '') "
              "FROM public.customers c) || '/' || (SELECT count(*) || ':' || "
              "coalesce(md5(string_agg(o::text, ',' ORDER BY id)), '') FROM public.orders o)")
      .value_or("");
}

std::string LagText(PgConnection& target, const std::string& direction) {
  auto lag = target.Scalar(
      "SELECT round(extract(epoch FROM coalesce(last_heartbeat_at, clock_timestamp()) - last_heartbeat_source)"
      "::numeric, 1)::text FROM pgduplex.worker_status WHERE task = 'demo' AND direction = $1",
      {direction});
  return lag ? *lag + " s" : "-";
}

pid_t StartUp(const std::string& config_path, const std::string& log_path) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) throw std::runtime_error("cannot find the pgduplex executable");
  self[n] = '\0';
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);  // Ctrl-C is for the demo; it stops `up` itself, in order
    FILE* log = fopen(log_path.c_str(), "a");
    if (log) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
    }
    execl(self, self, "up", "--config", config_path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

void StopUp(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 600; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline && !g_interrupted) {
    try {
      if (done()) return true;
    } catch (const std::exception&) {
      // not ready yet (e.g. the table does not exist on B yet)
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return false;
}

// The demo's writers: a few orders and updates on each side per tick.
void WriteTick(PgConnection& a, PgConnection& b, std::mt19937& rng) {
  std::uniform_int_distribution<int> customer(1, 1000);
  a.Exec(fmt::format("INSERT INTO public.orders (customer_id, amount, note) VALUES ({}, 10.50, 'written on A')",
                     customer(rng)));
  b.Exec(fmt::format("INSERT INTO public.orders (customer_id, amount, note) VALUES ({}, 20.25, 'written on B')",
                     customer(rng)));
  a.Exec(fmt::format("UPDATE public.customers SET city = 'Porto', updated_at = now() WHERE id = {}", customer(rng)));
  b.Exec(fmt::format("UPDATE public.customers SET city = 'Bergen', updated_at = now() WHERE id = {}", customer(rng)));
}

// The deliberate conflict: one customer id, inserted on both sides.
void InsertConflict(PgConnection& a, PgConnection& b) {
  a.Exec("INSERT INTO public.customers (id, name, city) VALUES (1000000, 'made on A', 'Lisbon')");
  b.Exec("INSERT INTO public.customers (id, name, city) VALUES (1000000, 'made on B', 'Oslo')");
  std::cout << "deliberate conflict: customer 1000000 inserted on A and on B; "
               "last-write-wins keeps B's (the later commit) on both\n";
}

void PrintLiveStatus(PgConnection& a, PgConnection& b) {
  std::cout << fmt::format("A: {} orders | B: {} orders | lag A->B {} | lag B->A {} | conflicts on B {}, on A {}\n",
                           *a.Scalar("SELECT count(*) FROM public.orders"),
                           *b.Scalar("SELECT count(*) FROM public.orders"), LagText(b, "forward"),
                           LagText(a, "reverse"), *b.Scalar("SELECT count(*) FROM pgduplex.conflicts"),
                           *a.Scalar("SELECT count(*) FROM pgduplex.conflicts"))
            << std::flush;
}

// Writes on both sides for `duration` seconds (0 = until Ctrl-C), the
// conflict after 2 s, live status every 2 s.
void WriteOnBothSides(PgConnection& a, PgConnection& b, int duration) {
  std::mt19937 rng(42);
  auto start = Clock::now();
  auto last_print = start - std::chrono::seconds(10);
  bool conflict_done = false;
  while (!g_interrupted && (duration <= 0 || Clock::now() - start < std::chrono::seconds(duration))) {
    WriteTick(a, b, rng);
    if (!conflict_done && Clock::now() - start > std::chrono::seconds(2)) {
      InsertConflict(a, b);
      conflict_done = true;
    }
    if (Clock::now() - last_print >= std::chrono::seconds(2)) {
      PrintLiveStatus(a, b);
      last_print = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  g_interrupted = false;  // a Ctrl-C ends the writes; convergence and cleanup still run
}

std::string MakeWorkdir(const std::string& requested) {
  std::string workdir = requested;
  if (workdir.empty()) {
    char tmpl[] = "/tmp/pgduplex-demo-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("cannot create a temporary directory");
    workdir = tmpl;
  }
  fs::create_directories(workdir);
  fs::permissions(workdir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  return workdir;
}

// Both clusters initialized and started, each with database shop and the
// extension.
void CreateClusters(LocalCluster& a, LocalCluster& b) {
  a.Create();
  b.Create();
  for (LocalCluster* c : {&a, &b}) {
    PgConnection admin = PgConnection::Connect(c->Conninfo("postgres"), c->name());
    admin.Exec("CREATE DATABASE shop");
    PgConnection shop = PgConnection::Connect(c->Conninfo("shop"), c->name());
    shop.Exec("CREATE EXTENSION pgduplex");
  }
}

std::string WriteConfig(const std::string& workdir, LocalCluster& a, LocalCluster& b) {
  std::string config_path = workdir + "/demo.toml";
  std::ofstream config(config_path);
  config << fmt::format(
      "name = \"demo\"\n[a]\nconninfo = \"{}\"\n[b]\nconninfo = \"{}\"\n[sync]\n"
      "tables = [\"public.*\"]\nconflict_policy = \"last-write-wins\"\ninitial = \"schema+data\"\n"
      "heartbeat_interval_sec = 1\n",
      a.Conninfo("shop"), b.Conninfo("shop"));
  return config_path;
}

// The demo proper, on created clusters; `up` receives the supervisor's pid
// as soon as it runs. Returns the exit code; throws on a failed step.
int RunDemo(const DemoOptions& options, const std::string& workdir, LocalCluster& a, LocalCluster& b, pid_t& up) {
  PgConnection conn_a = PgConnection::Connect(a.Conninfo("shop"), "a");
  PgConnection conn_b = PgConnection::Connect(b.Conninfo("shop"), "b");

  Step("creating schema and data on A (1000 customers, 5000 orders); B stays empty");
  conn_a.Exec(kSchema);
  std::string config_path = WriteConfig(workdir, a, b);
  std::cout << "config: " << config_path << "\n";

  Step("pgduplex precheck");
  if (CommandPrecheck({config_path, true}) != kExitOk) throw std::runtime_error("precheck failed; see the table above");

  Step("pgduplex up (initial sync of A into B, then both directions streaming); log: " + workdir + "/up.log");
  up = StartUp(config_path, workdir + "/up.log");
  if (!WaitFor([&] { return conn_b.Scalar("SELECT state FROM pgduplex.worker_status WHERE task = 'demo' "
                                          "AND direction = 'forward'") == std::optional<std::string>("streaming"); },
               std::chrono::seconds(180))) {
    throw std::runtime_error("the forward direction did not reach streaming; see " + workdir + "/up.log");
  }
  std::cout << "B now has " << *conn_b.Scalar("SELECT count(*) FROM public.orders") << " orders\n";

  Step("pgduplex sequences --interleave (A odd ids, B even ids: inserts on both sides never collide)");
  CommandSequences({config_path, false, true});

  int duration = options.duration_sec;
  Step(duration > 0 ? fmt::format("writing on both sides for {} s (Ctrl-C to stop early)", duration)
                    : std::string("writing on both sides until Ctrl-C"));
  WriteOnBothSides(conn_a, conn_b, duration);

  Step("waiting for both sides to converge");
  bool converged = WaitFor([&] { return Fingerprint(conn_a) == Fingerprint(conn_b); }, std::chrono::seconds(120));
  std::cout << (converged ? "converged: A and B hold the same rows\n" : "did NOT converge within 120 s\n");

  Step("pgduplex status");
  CommandStatus({config_path, false});

  Step("pgduplex verify");
  int verify = CommandVerify({config_path, false, {}, 20});
  return converged && verify == kExitOk ? kExitOk : kExitFound;
}

}  // namespace

int CommandDemo(const DemoOptions& options) {
  std::string workdir = MakeWorkdir(options.workdir);
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);

  Step("checking dependencies");
  std::string bindir = PostgresBinDir();
  std::cout << "PostgreSQL binaries: " << bindir << "\n";

  LocalCluster a("a", workdir + "/a", FreeLocalPort());
  LocalCluster b("b", workdir + "/b", FreeLocalPort());
  pid_t up = 0;
  int result = kExitFatal;
  try {
    Step("creating two throwaway clusters in " + workdir);
    CreateClusters(a, b);
    result = RunDemo(options, workdir, a, b, up);
  } catch (const std::exception& e) {
    std::cerr << "pgduplex demo: " << e.what() << "\n";
    result = kExitFatal;
  }

  Step("cleaning up");
  StopUp(up);
  a.Stop();
  b.Stop();
  if (options.keep) {
    std::cout << "kept " << workdir << "\n";
  } else {
    fs::remove_all(workdir);
  }
  std::cout << (result == kExitOk ? "demo finished: both clusters converged and verify passed\n"
                                  : "demo finished with problems (see above)\n");
  return result;
}

}  // namespace pgduplex
