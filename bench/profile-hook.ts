// Preloaded (`node --import ./bench/profile-hook.ts …`) into a benchmark's child process: the
// first SIGUSR2 starts the V8 CPU profiler, the next one writes the profile to
// $BENCH_PROFILE_DIR/<BENCH_PROFILE_NAME>.cpuprofile, so a profile covers just the measured phase.
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.BENCH_PROFILE_DIR ?? ".";
const name = process.env.BENCH_PROFILE_NAME ?? `profile-${process.pid}`;
let session: Session | undefined;

process.on("SIGUSR2", () => {
  void (async () => {
    if (!session) {
      session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 200 });
      await session.post("Profiler.start");
      return;
    }
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
    session = undefined;
    process.stderr.write(`  … wrote ${join(dir, `${name}.cpuprofile`)}\n`);
  })();
});
