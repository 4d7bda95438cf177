/*-------------------------------------------------------------------------
 *
 * pager_faults.h
 *		  Answers the API must not give (see pager_faults.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PAGER_FAULTS_H
#define PAGER_FAULTS_H

#include "pager.h"

#define FAULT_CASES 8

/* runs them, reports each failure on stderr, returns how many failed */
extern int	fault_cases_failed(void);

#endif							/* PAGER_FAULTS_H */
