import type { Expression, IfStatement, Statement, SwitchStatement } from "oxc-parser";
import { boundNames, type FunctionLike, isFunctionLike, jumpsOut, unwrap, usesOperations } from "./ast.js";
import { findCollectedPromises } from "./collected-promises.js";
import { type BodyCompiler, issuesOperations, type Scope } from "./compile-scope.js";
import type { ChoiceRule, ChoiceState, FailState, SucceedState } from "./ir.js";
import { compileLoop } from "./loop-compiler.js";
import { Ref } from "./machine-builder.js";
import { plainCode } from "./plain-throws.js";
import { compileTry } from "./try-compiler.js";

/** True when a statement issues operations or changes control flow the machine must show. */
export function matters(statement: Statement | Expression, scope: Scope): boolean {
  return (
    issuesOperations(statement, scope) ||
    jumpsOut(statement, scope.breakTarget !== undefined || scope.continueTarget !== undefined)
  );
}

/**
 * Compiles a statement list in front of `next`, last statement first. Functions
 * declared in the list (and `const f = (...) => ...`) are visible to the whole list,
 * as helpers to inline.
 */
export function compileStatements(
  c: BodyCompiler,
  statements: readonly Statement[],
  next: Ref,
  scope: Scope,
): Ref {
  let local: Map<string, FunctionLike> | undefined;
  for (const statement of statements) {
    if (statement.type === "FunctionDeclaration" && statement.id) {
      local ??= new Map(scope.localFunctions);
      local.set(statement.id.name, statement);
    } else if (statement.type === "VariableDeclaration") {
      for (const declarator of statement.declarations) {
        const init = declarator.init ? unwrap(declarator.init) : undefined;
        if (declarator.id.type === "Identifier" && init && isFunctionLike(init)) {
          local ??= new Map(scope.localFunctions);
          local.set(declarator.id.name, init);
        }
      }
    }
  }
  const withLocals = local
    ? { ...scope, localFunctions: local, closureHelpers: closureHelpers(local, scope) }
    : scope;
  // `runs.push(ctx.step(...))` in a loop, then `await Promise.all(runs)`: drawn at the await.
  const collected = findCollectedPromises(statements, withLocals);
  const inner = collected?.scope ?? withLocals;
  // Code after a return, throw, break or continue of the same list never runs: it gets no states.
  const jump = statements.findIndex((statement) => JUMPS.has(statement.type));
  const live = jump < 0 ? statements.length : jump + 1;
  let entry = next;
  for (let i = live - 1; i >= 0; i--) {
    const statement = statements[i] as Statement;
    if (!collected?.consumed.has(statement)) entry = c.statement(statement, entry, inner);
  }
  return entry;
}

const JUMPS = new Set(["ReturnStatement", "ThrowStatement", "BreakStatement", "ContinueStatement"]);

/**
 * The local functions that issue operations through the context they close over
 * (`async function chargeAll() { await ctx.step(...) }` in the workflow body), found
 * to a fixed point: a function that calls one of them issues operations too.
 */
function closureHelpers(functions: ReadonlyMap<string, FunctionLike>, scope: Scope): ReadonlySet<string> {
  const names = new Set(scope.closureHelpers);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [name, fn] of functions) {
      if (!names.has(name) && fn.body && usesOperations(fn.body, scope.contextNames, names)) {
        names.add(name);
        grew = true;
      }
    }
  }
  return names;
}

/** Compiles one statement in front of `next`; returns the ref of its first state (or `next`). */
export function compileStatement(c: BodyCompiler, statement: Statement, next: Ref, scope: Scope): Ref {
  // Plain code runs no operation, but may throw: a "may throw" Choice per region (plain-throws.ts).
  if (!matters(statement, scope)) return plainCode(c, statement, next, scope);
  switch (statement.type) {
    case "BlockStatement":
      return c.statements(statement.body, next, scope);
    case "ExpressionStatement":
      return c.expression(statement.expression, next, scope, false);
    case "VariableDeclaration": {
      let entry = next;
      for (let i = statement.declarations.length - 1; i >= 0; i--) {
        const declarator = statement.declarations[i];
        if (declarator?.init) entry = c.expression(declarator.init, entry, scope, false);
      }
      return entry;
    }
    case "IfStatement":
      return compileIf(c, statement, next, scope);
    case "SwitchStatement":
      return compileSwitch(c, statement, next, scope);
    case "WhileStatement":
    case "DoWhileStatement":
    case "ForStatement":
    case "ForOfStatement":
    case "ForInStatement":
      return compileLoop(c, statement, next, scope);
    case "TryStatement":
      return compileTry(c, statement, next, scope);
    case "ReturnStatement":
      return compileReturn(c, statement.argument ?? undefined, statement, scope);
    case "ThrowStatement": {
      const target = scope.errorTarget() ?? failState(c, scope, statement, statement.argument);
      // `throw new AppError(...)`: if building the error throws, it goes where the throw goes.
      if (!issuesOperations(statement.argument, scope)) return target;
      return c.expression(statement.argument, target, scope, false);
    }
    case "BreakStatement":
    case "ContinueStatement": {
      const target = statement.type === "BreakStatement" ? scope.breakTarget : scope.continueTarget;
      if (statement.label || !target) {
        return c.opaque(
          scope,
          statement,
          "unsupported-statement",
          `\`${c.text(scope, statement)}\` jumps to a label; the compiler follows only unlabelled break and continue. Restructure the loop, or move it into a helper and return.`,
          next,
        );
      }
      return throughFinalizers(c, target, scope, scope.loopFinalizerDepth);
    }
    case "FunctionDeclaration":
      return next;
    case "LabeledStatement":
      return c.statement(statement.body, next, scope);
    default:
      return c.opaque(
        scope,
        statement,
        "unsupported-statement",
        `A ${statement.type} with operations inside is not something the compiler follows. Move the operations into plain statements, or into a helper function that takes ctx.`,
        next,
      );
  }
}

/** Runs the `finally` blocks opened after `depth` (innermost first), then goes to `target`. */
export function throughFinalizers(c: BodyCompiler, target: Ref, scope: Scope, depth: number): Ref {
  // Innermost first; an outer one is compiled only if the inner ones can complete (one may throw).
  const from = (index: number): Ref => {
    if (index < depth) return target;
    const finalizer = scope.finalizers[index] as Scope["finalizers"][number];
    return ifReached(
      c,
      () => from(index - 1),
      (place) => c.statement(finalizer.block, place, finalizer.scope),
    );
  };
  return from(scope.finalizers.length - 1);
}

function compileReturn(
  c: BodyCompiler,
  argument: Expression | undefined,
  node: Statement,
  scope: Scope,
): Ref {
  const returnTarget = scope.returnTarget;
  const succeed = (): Ref => {
    const state: SucceedState = {
      id: "",
      kind: "succeed",
      name: argument ? `return ${c.text(scope, argument)}` : "return",
      loc: c.locate(scope, node),
      ...(argument ? { output: c.text(scope, argument) } : {}),
    };
    return c.add(scope, state, node);
  };
  // A finally that throws makes the Succeed unreachable: it is added only if reached.
  const target =
    returnTarget === "succeed"
      ? ifReached(c, succeed, (end) => throughFinalizers(c, end, scope, 0))
      : throughFinalizers(c, returnTarget, scope, 0);
  return argument ? c.expression(argument, target, scope, true) : target;
}

/**
 * Compiles `code` in front of a place made by `make` only if some transition of it
 * leads there: a `finally` that throws never reaches the Succeed of the `return` it
 * runs before, nor the rethrow after it, and ASL refuses a state nothing leads to.
 */
export function ifReached(c: BodyCompiler, make: () => Ref, code: (target: Ref) => Ref): Ref {
  const place = new Ref();
  // Made last, but ordered (and so named: `release` before `release#2`) as if made first.
  const reserved = c.builder.reserveOrder();
  const entry = code(place);
  // Unlinked when unreached: nothing resolves it, and a bug that did would fail loudly.
  if (c.builder.leadsTo(place, entry)) {
    const since = reserved.since();
    place.link(make());
    c.builder.placeSince(reserved.slot, since);
  }
  return entry;
}

/** A Fail state for a `throw` that nothing catches. */
export function failState(c: BodyCompiler, scope: Scope, node: Statement, argument?: Expression): Ref {
  const error = argument ? c.text(scope, argument) : undefined;
  const state: FailState = {
    id: "",
    kind: "fail",
    name: error ? `throw ${error}` : "rethrow",
    loc: c.locate(scope, node),
    ...(error ? { error } : {}),
  };
  return c.add(scope, state, node);
}

/** Adds a Choice state with its rules linked to refs. */
export function choiceState(
  c: BodyCompiler,
  scope: Scope,
  node: Statement | Expression,
  name: string,
  rules: { condition: string; next: Ref }[],
  otherwise: { label: string; next: Ref },
): { ref: Ref; state: ChoiceState } {
  const choices: ChoiceRule[] = rules.map((rule) => ({ condition: rule.condition, next: "" }));
  const state: ChoiceState = {
    id: "",
    kind: "choice",
    name,
    loc: c.locate(scope, node),
    choices,
    otherwise: { label: otherwise.label, next: "" },
  };
  rules.forEach((rule, index) => {
    c.builder.link(scope.draft, choices[index] as ChoiceRule, "next", rule.next);
  });
  c.builder.link(scope.draft, state.otherwise, "next", otherwise.next);
  return { ref: c.add(scope, state, node), state };
}

// The Choice an `if` made, so that an `else if` chain becomes one Choice with many rules.
const choiceOfIf = new WeakMap<
  Ref,
  { state: ChoiceState; merged: { condition: string; next: Ref }[]; otherwise: { label: string; next: Ref } }
>();

function compileIf(c: BodyCompiler, statement: IfStatement, next: Ref, scope: Scope): Ref {
  const consequent = c.statement(statement.consequent, next, scope);
  const alternate = statement.alternate ? c.statement(statement.alternate, next, scope) : next;
  if (consequent === next && alternate === next) return c.expression(statement.test, next, scope, false);
  const condition = c.text(scope, statement.test);
  let rules = [{ condition, next: consequent }];
  let otherwise = { label: "else", next: alternate };
  const chained = choiceOfIf.get(alternate);
  if (statement.alternate?.type === "IfStatement" && chained) {
    // `else if` whose test runs no operation: fold its rules into this Choice.
    c.builder.remove(scope.draft, chained.state);
    rules = [...rules, ...chained.merged];
    otherwise = chained.otherwise;
  }
  const { ref, state } = choiceState(c, scope, statement, `${truncate(condition)}?`, rules, otherwise);
  const entry = c.expression(statement.test, ref, scope, false);
  if (entry === ref) choiceOfIf.set(ref, { state, merged: rules, otherwise });
  return entry;
}

function compileSwitch(c: BodyCompiler, statement: SwitchStatement, next: Ref, scope: Scope): Ref {
  const inner: Scope = { ...scope, breakTarget: next, loopFinalizerDepth: scope.finalizers.length };
  const entries: Ref[] = [];
  let following = next;
  for (let i = statement.cases.length - 1; i >= 0; i--) {
    const switchCase = statement.cases[i] as SwitchStatement["cases"][number];
    following = c.statements(switchCase.consequent, following, inner);
    entries[i] = following;
  }
  const discriminant = c.text(scope, statement.discriminant);
  const rules: { condition: string; next: Ref }[] = [];
  let otherwise = { label: "else", next };
  statement.cases.forEach((switchCase, index) => {
    const entry = entries[index] as Ref;
    if (switchCase.test)
      rules.push({ condition: `${discriminant} === ${c.text(scope, switchCase.test)}`, next: entry });
    else otherwise = { label: "default", next: entry };
  });
  if (rules.every((rule) => rule.next === next) && otherwise.next === next) {
    return c.expression(statement.discriminant, next, scope, false);
  }
  const { ref } = choiceState(c, scope, statement, `switch ${truncate(discriminant)}`, rules, otherwise);
  return c.expression(statement.discriminant, ref, scope, false);
}

/** Shortens source text for a state name (the full text stays on the edges). */
export function truncate(text: string, max = 48): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A scope whose loop variables include the names a pattern binds. */
export function withLoopVariables(scope: Scope, pattern: Parameters<typeof boundNames>[0]): Scope {
  const names = boundNames(pattern);
  if (names.length === 0) return scope;
  return { ...scope, loopVariables: new Set([...scope.loopVariables, ...names]) };
}
