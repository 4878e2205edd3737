package ai.dstack.server.projects.entity;

import ai.dstack.server.users.entity.UserEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

@Entity
@Table(name = "members")
public class MemberEntity {
  @Id private String id;

  @ManyToOne(fetch = FetchType.EAGER, optional = false)
  @JoinColumn(name = "project_id")
  private ProjectEntity project;

  @ManyToOne(fetch = FetchType.EAGER, optional = false)
  @JoinColumn(name = "user_id")
  private UserEntity user;

  @Enumerated(EnumType.STRING)
  @Column(name = "project_role")
  private ProjectRole projectRole;

  @Column(name = "member_num")
  private Integer memberNum;

  public MemberEntity() {}

  public MemberEntity(
      String id, ProjectEntity project, UserEntity user, ProjectRole role, Integer memberNum) {
    this.id = id;
    this.project = project;
    this.user = user;
    this.projectRole = role;
    this.memberNum = memberNum;
  }

  public String getId() {
    return id;
  }

  public ProjectEntity getProject() {
    return project;
  }

  public UserEntity getUser() {
    return user;
  }

  public ProjectRole getProjectRole() {
    return projectRole;
  }

  public void setProjectRole(ProjectRole projectRole) {
    this.projectRole = projectRole;
  }

  public Integer getMemberNum() {
    return memberNum;
  }

  public void setMemberNum(Integer memberNum) {
    this.memberNum = memberNum;
  }
}
