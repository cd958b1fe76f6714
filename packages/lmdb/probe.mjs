import { mkdirSync, writeFileSync } from "node:fs";
import { open } from "lmdb";

const tries = {
  file: "/tmp/probe-file",
  underFile: "/tmp/probe-file/store",
  proc: "/proc/stepline-probe",
  sys: "/sys/stepline-probe",
  missingRo: "/tmp/probe-missing-ro",
};
writeFileSync("/tmp/probe-file", "x");
for (const [name, path] of Object.entries(tries)) {
  try {
    const db = open(path, { noSubdir: false, readOnly: name === "missingRo" });
    const m = db.openDB("meta", { encoding: "string" });
    console.log(name, "opened", m.get("x"));
    await db.close();
  } catch (e) {
    console.log(name, "ERR", e.code, e.errno, JSON.stringify(e.message));
  }
}
