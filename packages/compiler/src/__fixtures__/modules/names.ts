/** Step names shared by several files: the compiler reads them where they are used. */
export const STEPS = { charge: "charge", ship: "ship" } as const;
export const RECEIPT = "receipt";
