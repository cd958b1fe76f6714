import type { Expression, Node } from "oxc-parser";
import { unwrap } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import { propertyOf, toSeconds } from "./retry-spec.js";
import {
  type Evaluated,
  evaluateStatic,
  isRecord,
  type StaticScope,
  type StaticValue,
} from "./static-value.js";

/**
 * The options argument of an operation (`{ retry, timeout }` of a step, `{ timeout }`
 * of a wait, `{ concurrency, toleratedFailures }` of a map, ...), read as far as the
 * compiler can follow it: written in place, or built from constants (static-value.ts).
 * One reader for operation-compiler.ts, lifecycle-compiler.ts and saga-compiler.ts,
 * so every option follows constants the same way, and every option it cannot follow
 * gets the same warning and is drawn as unknown, never as the default.
 *
 * @example
 * const options = readOptions(c, scope, call.arguments[2]);
 * options.get("retry"); // { value: { maxAttempts: 5 } } for `{ retry: RETRY }`
 */
export function readOptions(c: BodyCompiler, scope: Scope, argument: Expression | undefined): Options {
  const evaluate = (node: Node) => evaluateStatic(node, staticScope(c, scope));
  return new Options(argument, argument ? evaluate(argument) : undefined, evaluate);
}

/** Where constants are looked up from the code being compiled. */
export function staticScope(c: BodyCompiler, scope: Scope): StaticScope {
  return {
    module: scope.module,
    importedModule: (from, specifier) => c.importedModule(from, specifier),
    fn: scope.inlining.at(-1),
  };
}

export class Options {
  readonly argument: Expression | undefined;
  readonly #evaluated: Evaluated | undefined;
  readonly #evaluate: (node: Node) => Evaluated;

  constructor(
    argument: Expression | undefined,
    evaluated: Evaluated | undefined,
    evaluate: (node: Node) => Evaluated,
  ) {
    this.argument = argument;
    this.#evaluated = evaluated;
    this.#evaluate = evaluate;
  }

  /** True when the options are given but not known at compile time as a whole (`opts` is a parameter). */
  get unknown(): boolean {
    // An object literal written in place is read option by option.
    const node = this.argument ? unwrap(this.argument) : undefined;
    if (node?.type === "ObjectExpression") return false;
    return (
      this.#evaluated !== undefined && ("unknown" in this.#evaluated || !isRecord(this.#evaluated.value))
    );
  }

  /**
   * One option: its value, unknown (the options or the option are not known at compile
   * time), or undefined when it is not given. A property of an object literal written in
   * place is evaluated on its own, so one unknown option does not hide the others.
   */
  get(key: string): Evaluated | undefined {
    const inPlace = this.#inPlace(key);
    if (inPlace) {
      // From the whole object when it is known (a later spread may override the property).
      const whole = this.#evaluated;
      if (whole && "value" in whole && isRecord(whole.value) && Object.hasOwn(whole.value, key)) {
        return { value: whole.value[key] as StaticValue };
      }
      return this.#evaluate(inPlace);
    }
    if (!this.#evaluated) return undefined;
    // An object literal with no spread names every option it has: one not there is not given.
    const node = this.argument ? unwrap(this.argument) : undefined;
    if (node?.type === "ObjectExpression" && node.properties.every((p) => p.type !== "SpreadElement")) {
      return undefined;
    }
    if ("unknown" in this.#evaluated) return this.#evaluated;
    const value = this.#evaluated.value;
    if (!isRecord(value)) return { unknown: this.argument as Node };
    return Object.hasOwn(value, key) ? { value: value[key] as StaticValue } : undefined;
  }

  /** The node a diagnostic about `key` points at: the property written in place, or the options argument. */
  nodeOf(key: string): Node | undefined {
    return this.#inPlace(key) ?? this.argument;
  }

  #inPlace(key: string): Expression | undefined {
    const node = this.argument ? unwrap(this.argument) : undefined;
    return node?.type === "ObjectExpression" ? propertyOf(node, key) : undefined;
  }
}

/**
 * Milliseconds to the whole seconds ASL takes, rounded up, with a `duration-rounded`
 * warning when that changes the value (the runtime keeps the exact one).
 */
export function wholeSeconds(c: BodyCompiler, scope: Scope, node: Node, what: string, ms: number): number {
  const seconds = toSeconds(ms);
  if (ms % 1000 !== 0) {
    c.report(
      scope,
      node,
      "warning",
      "duration-rounded",
      `${what} is ${ms} ms; ASL counts whole seconds, so the diagram shows ${seconds}s (rounded up). The runtime keeps ${ms} ms. Write a whole number of seconds to silence this.`,
    );
  }
  return seconds;
}

/** The warning for an option the compiler cannot follow: what the diagram shows instead. */
export function warnUnknown(c: BodyCompiler, scope: Scope, node: Node, what: string, shown: string): void {
  c.report(
    scope,
    node,
    "warning",
    "option-not-literal",
    `${what} is not known at compile time (\`${c.text(scope, node)}\` is neither a literal nor a constant the compiler can follow); ${shown}. Write it as a literal, or as a top-level const of this file or of a file imported with a relative path.`,
  );
}
