import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LUA_DIR, readScript, SCRIPTS } from "./lua-scripts.js";

const files = readdirSync(LUA_DIR).filter((file) => file.endsWith(".lua"));
const includes = readdirSync(new URL("includes/", LUA_DIR)).filter((file) => file.endsWith(".lua"));

/** The leading `--[[ ... ]]` comment and the code after it. */
function split(text: string): { header: string; body: string } {
  const match = /^--\[\[([\s\S]*?)\]\]\n/.exec(text);
  return match ? { header: match[1]!, body: text.slice(match[0].length) } : { header: "", body: text };
}

/** `KEYS[i]` / `ARGV[i]` lines of a header; `ARGV[n...]` declares a variadic tail. */
function declared(header: string, kind: "KEYS" | "ARGV") {
  const fixed: number[] = [];
  let variadicFrom: number | undefined;
  for (const [, index, dots] of header.matchAll(
    new RegExp(`^\\s*${kind}\\[(\\d+)(\\.\\.\\.)?\\]\\s+\\S`, "gm"),
  )) {
    if (dots) variadicFrom = Number(index);
    else fixed.push(Number(index));
  }
  return { fixed, variadicFrom };
}

function used(body: string, kind: "KEYS" | "ARGV") {
  const literal = new Set(
    [...body.matchAll(new RegExp(`\\b${kind}\\[(\\d+)\\]`, "g"))].map((m) => Number(m[1])),
  );
  const computed = new RegExp(`\\b${kind}\\[(?!\\d+\\])|#${kind}\\b`).test(body);
  return { literal: [...literal].sort((a, b) => a - b), computed };
}

describe("Lua scripts", () => {
  it("are exactly the files in lua/", () => {
    expect(files.map((file) => file.replace(/\.lua$/, "")).sort()).toEqual(Object.keys(SCRIPTS).sort());
  });

  for (const file of files) {
    it(`${file} begins with a header listing each KEYS[i] and ARGV[i] its body uses`, () => {
      const { header, body } = split(readFileSync(new URL(file, LUA_DIR), "utf8"));
      expect(header, "a leading --[[ ]] comment").not.toBe("");
      for (const kind of ["KEYS", "ARGV"] as const) {
        const { fixed, variadicFrom } = declared(header, kind);
        const { literal, computed } = used(body, kind);
        // Declared 1..n without gaps, each used, and nothing used that is not declared.
        expect(fixed, `${kind} declared in order`).toEqual(fixed.map((_, i) => i + 1));
        expect(
          literal.filter((i) => i < (variadicFrom ?? Number.POSITIVE_INFINITY)),
          `${kind} used`,
        ).toEqual(fixed);
        if (variadicFrom !== undefined)
          expect(variadicFrom, `${kind}[n...] follows the fixed ones`).toBe(fixed.length + 1);
        expect(computed, `${kind} indexed by a variable needs a ${kind}[n...] line`).toBe(
          variadicFrom !== undefined,
        );
      }
      const keyCount = declared(header, "KEYS").fixed.length;
      expect(keyCount, "the KEYS count in SCRIPTS").toBe(
        SCRIPTS[file.replace(/\.lua$/, "") as keyof typeof SCRIPTS],
      );
    });
  }

  it("includes use no KEYS or ARGV of their own and are all pulled in somewhere", () => {
    for (const file of includes) {
      const text = readFileSync(new URL(`includes/${file}`, LUA_DIR), "utf8");
      expect(split(text).body, file).not.toMatch(/\b(KEYS|ARGV)\b/);
    }
    const expanded = Object.keys(SCRIPTS).map(readScript).join("\n");
    expect(expanded).not.toMatch(/--- @include/);
    for (const file of includes) {
      expect(
        files.some((f) =>
          readFileSync(new URL(f, LUA_DIR), "utf8").includes(`--- @include "${file.replace(/\.lua$/, "")}"`),
        ),
      ).toBe(true);
    }
  });
});
