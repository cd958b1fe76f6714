/**
 * Seconds as the shortest Duration string that says them exactly: 7200 -> "2h".
 *
 * @example
 * durationText(172800); // "2d"
 */
export function durationText(seconds: number): string {
  const units: [string, number][] = [
    ["w", 604_800],
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
  ];
  for (const [unit, size] of units)
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}
