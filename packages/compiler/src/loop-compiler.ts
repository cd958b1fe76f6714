import type {
  DoWhileStatement,
  ForInStatement,
  ForOfStatement,
  ForStatement,
  Node,
  Statement,
  WhileStatement,
} from "oxc-parser";
import { isFunctionLike, isLoop, walk } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import { compileMap } from "./concurrency-compiler.js";
import { undoLoopOf } from "./lifecycle-names.js";
import { Ref } from "./machine-builder.js";
import { compileUndoLoop } from "./saga-compiler.js";
import { choiceState, truncate, withLoopVariables } from "./statement-compiler.js";

type Loop = WhileStatement | DoWhileStatement | ForStatement | ForOfStatement | ForInStatement;

/**
 * Loops with operations inside. `for ... of` is a Map state (one iteration per
 * item, MaxConcurrency 1) unless its body returns or breaks out, which a Map cannot
 * show; then, like `while` and `for`, it is a Choice with a back edge.
 */
export function compileLoop(c: BodyCompiler, loop: Loop, next: Ref, scope: Scope): Ref {
  const undo = scope.lifecycle && undoLoopOf(loop, scope.lifecycle);
  if (undo) return compileUndoLoop(c, loop as ForOfStatement, undo, next, scope);
  if (loop.type === "ForOfStatement" && !leavesEarly(loop.body)) {
    const variables =
      loop.left.type === "VariableDeclaration" ? loop.left.declarations.map((d) => d.id) : [loop.left];
    return compileMap(c, {
      node: loop,
      items: loop.right,
      body: loop.body,
      variables,
      maxConcurrency: 1,
      toleratesFailures: false,
      name: `for ${c.text(scope, variables[0] ?? loop.left)} of ${truncate(c.text(scope, loop.right), 40)}`,
      next,
      scope,
    });
  }
  const head = new Ref();
  const inner = (continueTarget: Ref): Scope => {
    let loopScope: Scope = {
      ...scope,
      breakTarget: next,
      continueTarget,
      loopFinalizerDepth: scope.finalizers.length,
    };
    if (loop.type === "ForOfStatement" || loop.type === "ForInStatement") {
      const left =
        loop.left.type === "VariableDeclaration" ? loop.left.declarations.map((d) => d.id) : [loop.left];
      for (const pattern of left) loopScope = withLoopVariables(loopScope, pattern);
    }
    if (loop.type === "ForStatement" && loop.init?.type === "VariableDeclaration") {
      for (const declarator of loop.init.declarations)
        loopScope = withLoopVariables(loopScope, declarator.id);
    }
    // A counter declared before the loop and changed in it (`attempt += 1`) names iterations too.
    const assigned = assignedNames(loop);
    if (assigned.length > 0) {
      loopScope = { ...loopScope, loopVariables: new Set([...loopScope.loopVariables, ...assigned]) };
    }
    return loopScope;
  };
  switch (loop.type) {
    case "WhileStatement":
    case "ForOfStatement":
    case "ForInStatement": {
      const condition =
        loop.type === "WhileStatement"
          ? c.text(scope, loop.test)
          : `next item of ${c.text(scope, loop.right)}`;
      const body = c.statement(loop.body, head, inner(head));
      const name =
        loop.type === "WhileStatement"
          ? `while ${truncate(condition)}?`
          : `for each of ${truncate(c.text(scope, loop.right), 40)}?`;
      const { ref } = choiceState(c, scope, loop, name, [{ condition, next: body }], { label: "done", next });
      const test = loop.type === "WhileStatement" ? c.expression(loop.test, ref, inner(head), false) : ref;
      head.link(test);
      return loop.type === "WhileStatement" ? test : c.expression(loop.right, test, scope, false);
    }
    case "DoWhileStatement": {
      const bodyStart = new Ref();
      const condition = c.text(scope, loop.test);
      const { ref } = choiceState(
        c,
        scope,
        loop,
        `while ${truncate(condition)}?`,
        [{ condition, next: bodyStart }],
        {
          label: "done",
          next,
        },
      );
      const test = c.expression(loop.test, ref, inner(head), false);
      head.link(test);
      const body = c.statement(loop.body, head, inner(head));
      bodyStart.link(body);
      return body;
    }
    case "ForStatement": {
      const condition = loop.test ? c.text(scope, loop.test) : "true";
      const loopScope = inner(new Ref());
      const update = loop.update ? c.expression(loop.update, head, loopScope, false) : head;
      const body = c.statement(loop.body, update, { ...loopScope, continueTarget: update });
      const { ref } = choiceState(
        c,
        scope,
        loop,
        `for ${truncate(condition)}?`,
        [{ condition, next: body }],
        {
          label: "done",
          next,
        },
      );
      const test = loop.test ? c.expression(loop.test, ref, loopScope, false) : ref;
      head.link(test);
      if (!loop.init) return test;
      return loop.init.type === "VariableDeclaration"
        ? c.statement(loop.init, test, loopScope)
        : c.expression(loop.init, test, loopScope, false);
    }
  }
}

/** Identifiers a loop assigns or increments (outside nested functions). */
function assignedNames(loop: Loop): string[] {
  const names: string[] = [];
  walk(loop, (node) => {
    if (isFunctionLike(node)) return false;
    const target =
      node.type === "AssignmentExpression"
        ? node.left
        : node.type === "UpdateExpression"
          ? node.argument
          : undefined;
    if (target?.type === "Identifier") names.push(target.name);
    return undefined;
  });
  return names;
}

/** True when a loop body returns, or breaks out of this loop: a Map state cannot show that. */
function leavesEarly(body: Statement): boolean {
  let found = false;
  const visit = (node: Node, nestedLoopOrSwitch: boolean): void => {
    if (found || isFunctionLike(node)) return;
    if (node.type === "ReturnStatement") found = true;
    if (node.type === "BreakStatement" && (node.label || !nestedLoopOrSwitch)) found = true;
    if (node.type === "ContinueStatement" && node.label) found = true;
    const nested = nestedLoopOrSwitch || isLoop(node) || node.type === "SwitchStatement";
    walk(node, (child) => {
      if (child === node) return undefined;
      visit(child, nested);
      return false;
    });
  };
  visit(body, false);
  return found;
}
