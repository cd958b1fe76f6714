/** Types of fixture-hidden-engine-start.mjs. */
export declare const engineStarted: boolean;
