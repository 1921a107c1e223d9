// The `k8ts` command line: parses the subcommand and starts the components it names.
const USAGE = `usage: k8ts <command> [flags]

commands:
  server     API server, controller manager, scheduler and a node agent (coming: see the issues)
  version    print the version`;

const [command] = process.argv.slice(2);
switch (command) {
  case "version":
    console.log("k8ts v0.1.0");
    break;
  case "server":
    console.error("k8ts server: the API server is not built yet; so far k8ts has its store (src/storage).");
    process.exit(1);
    break;
  default:
    console.error(USAGE);
    process.exit(command === undefined || command === "help" || command === "--help" ? 0 : 2);
}
