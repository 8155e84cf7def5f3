import { ApiProperty } from '@nestjs/swagger';

export class AuditChainLinkView {
  @ApiProperty({ description: 'Sequence number in the chain, as a string', example: '42' })
  seq!: string;
  @ApiProperty({ description: 'SHA-256, hex', example: '63ae6d3e5e433c8e56ae0142674903eeb4e68ca886b30ebfb520e31bd5d48bc9' })
  hash!: string;
}

export class AuditBrokenLinkView {
  @ApiProperty({ description: 'Where the chain breaks: the entry’s seq, or for a deleted entry the missing seq' })
  seq!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The entry’s id; null for a deleted entry' })
  id!: string | null;
  @ApiProperty({
    enum: ['altered', 'deleted', 'inserted'],
    description: 'altered: its content no longer matches its hash (or it was re-hashed and the next entry no longer links to it); deleted: a seq is missing; inserted: the next entry links over it, or it lies past the head',
  })
  problem!: 'altered' | 'deleted' | 'inserted';
  @ApiProperty({ example: 'entry 7 was deleted: the chain goes on at entry 8 (id 8)' })
  message!: string;
}

export class AuditChainReport {
  @ApiProperty({ description: 'True when every kept entry hashes to its recorded hash and links to the one before it, from the anchor to the head' })
  ok!: boolean;
  @ApiProperty({ description: 'Entries checked before the first broken link (all of them when ok)' })
  checked!: number;
  @ApiProperty({ type: AuditChainLinkView, description: 'Where the kept chain starts: the last entry retention removed (seq 0 and 64 zeros when none was)' })
  anchor!: AuditChainLinkView;
  @ApiProperty({ type: AuditChainLinkView, description: 'The newest link; keep it somewhere else to detect a rewrite of the whole chain later' })
  head!: AuditChainLinkView;
  @ApiProperty({ type: AuditBrokenLinkView, nullable: true, description: 'The first broken link, or null' })
  broken!: AuditBrokenLinkView | null;
}
