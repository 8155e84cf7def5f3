/** Types for api-types.mjs, which the root's test imports (test/dashboard/api-types.spec.ts). */
export declare const SCHEMA_FILE: string;
export declare function renderApiTypes(document: unknown): Promise<string>;
