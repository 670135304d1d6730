/** Tables of the domain half (identity, organizations, workspaces, audit). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainTables {}
